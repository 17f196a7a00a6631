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
