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

#[test]
fn the_table_measures_the_substrate_beside_the_guest() {
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--only", "bulk,ping-pong,accept", "--scale", "1000"])
        .output()
        .expect("run the bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the bench failed:\n{stderr}");
    let table = String::from_utf8_lossy(&out.stdout);
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
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--only", "tls-handshake", "--scale", "100"])
        .output()
        .expect("run the bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let header = cells(table.lines().next().expect("a header row"));
    let row = cells(
        table
            .lines()
            .find(|l| l.starts_with("| tls-handshake (5) |"))
            .unwrap_or_else(|| panic!("no tls-handshake row in:\n{table}")),
    );
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
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--only", "bulk", "--scale", "1000", "--runs", "2"])
        .output()
        .expect("run the bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let header = cells(table.lines().next().expect("a header row"));
    let row = cells(
        table
            .lines()
            .find(|l| l.starts_with("| bulk ("))
            .unwrap_or_else(|| panic!("no bulk row in:\n{table}")),
    );
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
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--python", "--scale", "1000", "--runs", "1"])
        .output()
        .expect("run the bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
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
