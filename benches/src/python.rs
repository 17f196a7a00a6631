//! `--python`: the CPython asyncio client script (`benches/asyncio_client.py`)
//! built into a Python component and run on both backends, beside the same
//! file under CPython, alternating, several runs each: throughput for bulk
//! and readline (medians, and the spread), start-up time with the
//! compilation cached, and the component's size.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use portable_streams_host::engine::{Allocation, new_engine};
use portable_streams_host::run::{Backend, prepare, run_component};

use crate::contenders::{self, client_config};
use crate::peers;
use crate::report::{median_and_range, unit};
use crate::workload::Workload;

/// The contenders, in the order each round runs them.
const CONTENDERS: [&str; 3] = ["asyncio", "python-guest", "python-native"];

/// Runs the table; returns its markdown.
pub async fn run(root: &Path, python: &Path, scale: usize, runs: usize) -> Result<String> {
    let script = root.join("benches/asyncio_client.py");
    eprintln!("building benches/asyncio_client.py into a component...");
    let wasm = tokio::task::spawn_blocking(|| {
        portable_streams_tests::python::component("benches/asyncio_client")
    })
    .await?;
    let size = std::fs::metadata(&wasm)?.len();
    let bytes = std::fs::read(&wasm)?;
    let engine = new_engine(Allocation::OnDemand).map_err(|e| anyhow!("{e:#}"))?;
    let guest = prepare(&engine, &bytes, Backend::Guest)?;
    let native = prepare(&engine, &bytes, Backend::Native)?;
    let mut out = String::from(
        "| workload | asyncio (CPython) | Python component, guest | Python component, native | guest/asyncio | native/asyncio |\n|---|---|---|---|---|---|\n",
    );
    for workload in [Workload::Bulk, Workload::Readline] {
        let count = workload.count(scale);
        let peer = peers::start(workload, count).await?;
        let mut figures: [Vec<f64>; 3] = Default::default();
        for round in 0..runs {
            eprintln!("{} ({count}), run {}/{runs}...", workload.name(), round + 1);
            for (i, name) in CONTENDERS.iter().enumerate() {
                let sample = match *name {
                    "asyncio" => {
                        contenders::asyncio(python, &script, workload, peer.addr, count, &[]).await
                    }
                    "python-guest" => {
                        contenders::component(
                            &engine,
                            &guest,
                            Backend::Guest,
                            workload,
                            peer.addr,
                            count,
                            &[],
                        )
                        .await
                    }
                    _ => {
                        contenders::component(
                            &engine,
                            &native,
                            Backend::Native,
                            workload,
                            peer.addr,
                            count,
                            &[],
                        )
                        .await
                    }
                };
                let sample = sample.map_err(|e| anyhow!("{name} on {}: {e:#}", workload.name()))?;
                figures[i].push(sample.figure(workload, count));
            }
        }
        let [asyncio, guest, native] = figures.map(|mut f| median_and_range(&mut f));
        let cell = |(m, lo, hi): (f64, f64, f64)| format!("{m:.1} ({lo:.1}-{hi:.1})");
        out.push_str(&format!(
            "| {} ({count}), {} | {} | {} | {} | {:.2}x | {:.2}x |\n",
            workload.name(),
            unit(workload),
            cell(asyncio),
            cell(guest),
            cell(native),
            guest.0 / asyncio.0,
            native.0 / asyncio.0,
        ));
    }
    // Start-up: instantiating and running a program that does nothing,
    // the compilation done (prepared above, as wasmtime's cache gives it to
    // a later `run`), against a CPython process doing the same.
    let mut startups: [Vec<f64>; 3] = Default::default();
    for _ in 0..runs.max(3) {
        let started = Instant::now();
        let status = std::process::Command::new(python)
            .arg(&script)
            .args(["startup", "127.0.0.1", "9", "1"])
            .output()?;
        anyhow::ensure!(status.status.success(), "CPython startup failed");
        startups[0].push(ms(started.elapsed()));
        for (i, (backend, compiled)) in [(Backend::Guest, &guest), (Backend::Native, &native)]
            .into_iter()
            .enumerate()
        {
            let config = client_config(backend, "startup", "127.0.0.1:9".parse()?, 1, &[])?;
            let started = Instant::now();
            let outcome = run_component(&engine, compiled, &config).await?;
            anyhow::ensure!(outcome.exit_code == 0, "startup on {backend:?} failed");
            startups[i + 1].push(ms(started.elapsed()));
        }
    }
    let [asyncio, guest, native] = startups.map(|mut f| median_and_range(&mut f));
    let cell = |(m, lo, hi): (f64, f64, f64)| format!("{m:.0} ({lo:.0}-{hi:.0})");
    out.push_str(&format!(
        "| start-up, ms (less is better; compiled already) | {} | {} | {} | {:.1}x | {:.1}x |\n",
        cell(asyncio),
        cell(guest),
        cell(native),
        guest.0 / asyncio.0,
        native.0 / asyncio.0,
    ));
    out.push_str(&format!(
        "\nThe component: {:.1} MB. Cells: median of {runs} runs (range).\n",
        size as f64 / 1e6
    ));
    Ok(out)
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}
