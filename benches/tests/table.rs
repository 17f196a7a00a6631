//! The bench as its user runs it, at a thousandth of the full sizes: the
//! table has the substrate contender (a client written directly on
//! `wasi:sockets`) measured on its workloads, with the guest/substrate
//! ratio beside it. Figures are not judged here (a timed assertion would
//! prove nothing on a shared machine); that each is measured is.

use std::process::Command;

/// The cells of a markdown table row.
fn cells(line: &str) -> Vec<&str> {
    line.trim_matches('|').split('|').map(str::trim).collect()
}

/// Runs the bench with `args`; its table, once it succeeded.
fn bench_table(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .output()
        .expect("run the bench");
    assert!(
        out.status.success(),
        "the bench failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The header's cells and the cells of the row starting with `start`.
fn header_and_row<'t>(table: &'t str, start: &str) -> (Vec<&'t str>, Vec<&'t str>) {
    let header = cells(table.lines().next().expect("a header row"));
    let row = table
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no {start} row in:\n{table}"));
    (header, cells(row))
}

#[test]
fn the_table_measures_the_substrate_beside_the_guest() {
    let table = bench_table(&["--only", "bulk,ping-pong,accept", "--scale", "1000"]);
    let header = cells(table.lines().next().expect("a header row"));
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no {name} column in:\n{table}"))
    };
    let (guest, substrate, ratio) = (
        column("guest"),
        column("substrate"),
        column("guest/substrate"),
    );
    for workload in ["bulk", "ping-pong", "accept"] {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {workload} (")))
            .unwrap_or_else(|| panic!("no {workload} row in:\n{table}"));
        let row = cells(row);
        for (name, at) in [("guest", guest), ("substrate", substrate)] {
            let figure = row[at].split_whitespace().next().unwrap_or_default();
            assert!(
                figure.parse::<f64>().is_ok_and(|f| f > 0.0),
                "{workload}: the {name} cell is not a measured figure: {:?}",
                row[at]
            );
        }
        assert!(
            row[ratio]
                .strip_suffix('x')
                .is_some_and(|r| r.parse::<f64>().is_ok()),
            "{workload}: guest/substrate is {:?}",
            row[ratio]
        );
    }
}

#[test]
fn handshakes_per_second_are_measured_for_every_tls_contender() {
    // A hundredth of the full count: five full handshakes each.
    let table = bench_table(&["--only", "tls-handshake", "--scale", "100"]);
    let (header, row) = header_and_row(&table, "| tls-handshake (5) |");
    assert!(row[1].starts_with("handshakes/s"), "{table}");
    for name in ["guest", "native", "tokio", "asyncio"] {
        let cell = row[header.iter().position(|c| *c == name).unwrap()];
        assert!(
            cell.parse::<f64>().is_ok_and(|f| f > 0.0),
            "tls-handshake: the {name} cell is not a measured figure: {cell:?}"
        );
    }
}

#[test]
fn several_runs_show_the_median_with_its_range_and_ratios_taken_run_by_run() {
    let table = bench_table(&["--only", "bulk", "--scale", "1000", "--runs", "2"]);
    let (header, row) = header_and_row(&table, "| bulk (");
    let at = |name: &str| row[header.iter().position(|c| *c == name).unwrap()];
    // "445.8 [444.4-445.8]" and "0.75x (0.58-0.75)".
    assert!(
        at("guest").contains(" [") && at("guest").ends_with(']'),
        "{table}"
    );
    assert!(
        at("guest/tokio").contains("x (") && at("guest/tokio").ends_with(')'),
        "{table}"
    );
}

#[test]
fn the_python_table_measures_the_component_on_both_backends_beside_cpython() {
    let table = bench_table(&["--python", "--scale", "1000", "--runs", "1"]);
    for row in ["| bulk (", "| readline (", "| start-up, ms"] {
        let line = table
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no {row} row in:\n{table}"));
        let cells = cells(line);
        assert_eq!(cells.len(), 6, "{line}");
        assert!(cells[4].ends_with('x') && cells[5].ends_with('x'), "{line}");
    }
    assert!(table.contains("The component: "), "{table}");
}
