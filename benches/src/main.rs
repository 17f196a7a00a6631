//! `bench`: runs every workload against every contender, side by side in
//! this one process run, and prints the table with ratios to tokio and to
//! CPython asyncio; `--write` also records it in docs/benchmarks.md.
//!
//! Run it with `cargo run --release -p portable-streams-bench -- --write`.

mod contenders;
mod peers;
mod report;
mod soak;
mod tokio_client;
mod workload;

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Parser;
use portable_streams_host::engine::{Allocation, new_engine};
use portable_streams_host::run::{Backend, prepare};
use portable_streams_tests::build;

use crate::report::{Outcome, Report};
use crate::workload::Workload;

/// Side-by-side benchmarks of portable:streams.
#[derive(Debug, Parser)]
struct Args {
    /// Divide every workload's size by this (1 = the full figures).
    #[arg(long, default_value_t = 1)]
    scale: usize,
    /// Only these workloads (bulk, readline, ping-pong, accept, concurrency);
    /// with --soak, only these backends (guest, native).
    #[arg(long = "only", value_delimiter = ',')]
    only: Vec<String>,
    /// Also write the table to docs/benchmarks.md (with the machine and date).
    #[arg(long)]
    write: bool,
    /// Instead of the benchmarks: the soak, 1,000 connections per backend
    /// echoing checked payloads for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    soak: Option<u64>,
}

fn outcome(result: Result<report::Sample>) -> Outcome {
    match result {
        Ok(s) => Outcome::Measured(s),
        Err(e) => Outcome::Failed(format!("{e:#}")),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024 / 1024);
    format!("{cpu}, {cores} cores, {mem} GiB")
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let root = build::workspace_root();
    eprintln!("building the benchmark component...");
    let wasm = tokio::task::spawn_blocking(|| build::component("bench-client")).await?;
    let bytes = std::fs::read(&wasm)?;
    let engine = new_engine(Allocation::OnDemand).map_err(|e| anyhow!("{e:#}"))?;
    let guest = prepare(&engine, &bytes, Backend::Guest)?;
    let native = prepare(&engine, &bytes, Backend::Native)?;
    if let Some(seconds) = args.soak {
        let peer = peers::start(Workload::Concurrency, 1_000).await?;
        println!("{}", soak::HEADER);
        for (backend, compiled) in [(Backend::Guest, &guest), (Backend::Native, &native)] {
            let name = format!("{backend:?}").to_lowercase();
            if !args.only.is_empty() && !args.only.contains(&name) {
                continue;
            }
            eprintln!("soak on {backend:?} for {seconds} s...");
            let report = soak::run(&engine, compiled, backend, peer.addr, seconds).await?;
            println!("{}", report.row());
            eprintln!("RSS samples (MiB, every 5 s): {:?}", report.rss_mib);
        }
        return Ok(());
    }
    let python = portable_streams_tests::python3();
    let script: PathBuf = root.join("benches/asyncio_client.py");

    let contenders = vec!["guest", "native", "tokio", "asyncio", "wstd"];
    let mut rows = Vec::new();
    for workload in Workload::ALL {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == workload.name()) {
            continue;
        }
        let count = workload.count(args.scale);
        let peer = peers::start(workload, count).await?;
        let addr = peer.addr;
        eprintln!("{} ({count})...", workload.name());
        let mut outcomes = Vec::new();
        outcomes.push(outcome(
            contenders::component(&engine, &guest, Backend::Guest, workload, addr, count).await,
        ));
        outcomes.push(outcome(
            contenders::component(&engine, &native, Backend::Native, workload, addr, count).await,
        ));
        outcomes.push(outcome(
            contenders::tokio_native(workload, addr, count).await,
        ));
        outcomes.push(match &python {
            Some(py) => outcome(contenders::asyncio(py, &script, workload, addr, count).await),
            None => Outcome::Skipped("python3 not installed".into()),
        });
        outcomes.push(Outcome::Skipped("wstd has no WASI 0.3 release".into()));
        rows.push((workload, count, outcomes));
    }
    let report = Report { contenders, rows };
    let table = report.markdown();
    println!("{table}");
    if args.write {
        let date = std::process::Command::new("date")
            .arg("-u")
            .arg("+%Y-%m-%d %H:%M UTC")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let doc = root.join("docs/benchmarks.md");
        let old = std::fs::read_to_string(&doc).unwrap_or_default();
        let marker = "<!-- latest run -->";
        let notes = old.split_once(marker).map_or("", |(_, after)| {
            after.split_once("<!-- end -->").map_or("", |(_, n)| n)
        });
        let text = format!(
            "# Benchmarks\n\n{marker}\nLatest run: {date}, on {}, release build, loopback, scale 1/{}.\n\n{table}\n<!-- end -->{notes}",
            machine(),
            args.scale
        );
        std::fs::create_dir_all(root.join("docs"))?;
        std::fs::write(&doc, text)?;
        eprintln!("wrote {}", doc.display());
    }
    Ok(())
}
