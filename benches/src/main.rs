//! `bench`: runs every workload against every contender, side by side in
//! this one process run, and prints the table with ratios to tokio and to
//! CPython asyncio; `--write` also records it in docs/benchmarks.md.
//!
//! Run it with `cargo run --release -p portable-streams-bench -- --write`.

mod accept_soak;
mod contenders;
mod peers;
mod python;
mod report;
mod serve;
mod soak;
mod tls;
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
    /// Only these workloads (bulk, tls-bulk, tls-handshake, readline, ping-pong, accept, concurrency);
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
    /// Instead of the benchmarks: one server component per backend serves
    /// this many clients in a row in one store (see docs/reliability.md).
    #[arg(long, value_name = "CLIENTS")]
    accept_soak: Option<usize>,
    /// Instead of the benchmarks: line echo servers side by side (serve
    /// per connection and shared, tokio, asyncio) with idle clients held.
    #[arg(long)]
    serve: bool,
    /// With --serve: how many idle clients to hold.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Instead of the benchmarks: the asyncio client script as a Python
    /// component on both backends beside CPython (bulk, readline, start-up).
    #[arg(long)]
    python: bool,
    /// Runs of every workload, contenders in turn within each run: cells
    /// show the median run with the range in brackets, ratios the median
    /// of the runs' ratios (range). With --python, the same.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Run tokio's echo server for --serve (started by the bench itself).
    #[arg(long, hide = true)]
    tokio_echo_server: bool,
}

/// `--serve`: prints the serve table; with `--write`, records it in
/// docs/benchmarks.md between its own markers.
async fn serve_bench(root: &std::path::Path, args: &Args) -> Result<()> {
    let python = portable_streams_tests::tools::python_if_present();
    let rows = serve::run(root, python.as_deref(), args.idle).await?;
    let mut table = format!("{}\n", serve::ServeRow::HEADER);
    for row in rows {
        match row {
            Ok(row) => table.push_str(&row.markdown()),
            Err(error) => table.push_str(&format!("| failed: {error:#} | | | | | |")),
        }
        table.push('\n');
    }
    println!("{table}");
    if args.write {
        write_section(root, "serve", &table)?;
    }
    Ok(())
}

/// `--python`: prints the Python table; with `--write`, records it.
async fn python_bench(root: &std::path::Path, args: &Args) -> Result<()> {
    let python = portable_streams_tests::tools::python();
    let table = python::run(root, &python, args.scale, args.runs.max(1)).await?;
    println!("{table}");
    if args.write {
        write_section(root, "python", &table)?;
    }
    Ok(())
}

/// Records `table` in docs/benchmarks.md between `<!-- NAME run -->` and
/// `<!-- end NAME -->`, with the machine and date.
fn write_section(root: &std::path::Path, name: &str, table: &str) -> Result<()> {
    let (start, end) = (
        format!("<!-- {name} run -->"),
        format!("<!-- end {name} -->"),
    );
    let section = format!(
        "{start}\nLatest {name} run: {}, on {}, release build, loopback.\n\n{table}{end}",
        utc_now(),
        machine()
    );
    let doc = root.join("docs/benchmarks.md");
    let old = std::fs::read_to_string(&doc).unwrap_or_default();
    let text = match (old.find(&start), old.find(&end)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{section}{}", &old[..a], &old[b + end.len()..])
        }
        _ => format!("{}\n{section}\n", old.trim_end()),
    };
    std::fs::write(&doc, text)?;
    eprintln!("wrote {}", doc.display());
    Ok(())
}

/// The contenders of the main table, ready to run.
struct Contenders<'a> {
    engine: &'a wasmtime::Engine,
    guest: &'a wasmtime::component::Component,
    native: &'a wasmtime::component::Component,
    substrate: &'a wasmtime::component::Component,
    python: Option<&'a std::path::Path>,
    script: &'a std::path::Path,
}

/// One run of `workload` against every contender in turn.
async fn one_run(workload: Workload, count: usize, with: &Contenders<'_>) -> Result<Vec<Outcome>> {
    let Contenders {
        engine,
        guest,
        native,
        substrate,
        python,
        script,
    } = *with;
    let peer = peers::start(workload, count).await?;
    let addr = peer.addr;
    let tls = peer.tls.as_deref();
    // The components take the CA's PEM, CPython its file.
    let (component_extra, python_extra) = match tls {
        Some(tls) => (
            vec![tls.pki.ca_pem.clone()],
            vec![tls.pki.file("ca.pem").display().to_string()],
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut outcomes = Vec::new();
    for (backend, compiled) in [(Backend::Guest, guest), (Backend::Native, native)] {
        outcomes.push(outcome(
            contenders::component(
                engine,
                compiled,
                backend,
                workload,
                addr,
                count,
                &component_extra,
            )
            .await,
        ));
    }
    outcomes.push(outcome(
        contenders::tokio_native(workload, addr, count, tls).await,
    ));
    outcomes.push(match python {
        Some(py) => {
            outcome(contenders::asyncio(py, script, workload, addr, count, &python_extra).await)
        }
        None => Outcome::Skipped("python3 not installed".into()),
    });
    outcomes.push(Outcome::Skipped("wstd has no WASI 0.3 release".into()));
    outcomes.push(match workload {
        Workload::Bulk | Workload::PingPong | Workload::Accept => outcome(
            contenders::component(
                engine,
                substrate,
                Backend::Native,
                workload,
                addr,
                count,
                &[],
            )
            .await,
        ),
        _ => Outcome::Skipped("not a substrate workload".into()),
    });
    Ok(outcomes)
}

fn utc_now() -> String {
    std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
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

/// Every contender runs on this (`block_on`'s) thread and its peers on the
/// runtime's workers, so no client shares a thread with its in-process
/// peer: run on a worker, tokio's client and its peer exchanged ping-pong
/// rounds within one thread (p50 12.8 µs against 60-76 here), which
/// measures where the peer lives, not the client.
#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.tokio_echo_server {
        return serve::tokio_echo_server().await;
    }
    let root = build::workspace_root();
    if args.serve {
        return serve_bench(&root, &args).await;
    }
    if args.python {
        return python_bench(&root, &args).await;
    }
    eprintln!("building the benchmark component...");
    let wasm = tokio::task::spawn_blocking(|| build::component("bench-client")).await?;
    let bytes = std::fs::read(&wasm)?;
    let engine = new_engine(Allocation::OnDemand).map_err(|e| anyhow!("{e:#}"))?;
    let guest = prepare(&engine, &bytes, Backend::Guest)?;
    let native = prepare(&engine, &bytes, Backend::Native)?;
    // The substrate: the same workloads written directly on wasi:sockets
    // (nothing to compose: it imports no portable:streams).
    let substrate_wasm =
        tokio::task::spawn_blocking(|| build::component("substrate-client")).await?;
    let substrate = prepare(&engine, &std::fs::read(substrate_wasm)?, Backend::Native)?;
    if let Some(count) = args.accept_soak {
        println!("{}", accept_soak::AcceptSoakReport::HEADER);
        for (backend, compiled) in [(Backend::Guest, &guest), (Backend::Native, &native)] {
            let name = format!("{backend:?}").to_lowercase();
            if !args.only.is_empty() && !args.only.contains(&name) {
                continue;
            }
            eprintln!("accept soak on {backend:?}: {count} clients...");
            let report = accept_soak::run(&engine, compiled, backend, count).await?;
            println!("{}", report.row());
        }
        return Ok(());
    }
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
    let python = portable_streams_tests::tools::python_if_present();
    let script: PathBuf = root.join("benches/asyncio_client.py");

    let contenders = vec!["guest", "native", "tokio", "asyncio", "wstd", "substrate"];
    let with = Contenders {
        engine: &engine,
        guest: &guest,
        native: &native,
        substrate: &substrate,
        python: python.as_deref(),
        script: &script,
    };
    let mut rows: Vec<(Workload, usize, Vec<Vec<Outcome>>)> = Vec::new();
    for run in 0..args.runs.max(1) {
        for workload in Workload::ALL {
            if !args.only.is_empty() && !args.only.iter().any(|o| o == workload.name()) {
                continue;
            }
            let count = workload.count(args.scale);
            eprintln!(
                "{} ({count}), run {}/{}...",
                workload.name(),
                run + 1,
                args.runs.max(1)
            );
            let outcomes = one_run(workload, count, &with).await?;
            match rows.iter_mut().find(|(w, _, _)| *w == workload) {
                Some((_, _, runs)) => {
                    for (runs, outcome) in runs.iter_mut().zip(outcomes) {
                        runs.push(outcome);
                    }
                }
                None => rows.push((
                    workload,
                    count,
                    outcomes.into_iter().map(|o| vec![o]).collect(),
                )),
            }
        }
    }
    let report = Report { contenders, rows };
    let table = report.markdown();
    println!("{table}");
    if args.write {
        let date = utc_now();
        let doc = root.join("docs/benchmarks.md");
        let old = std::fs::read_to_string(&doc).unwrap_or_default();
        let marker = "<!-- latest run -->";
        let notes = old.split_once(marker).map_or("", |(_, after)| {
            after.split_once("<!-- end -->").map_or("", |(_, n)| n)
        });
        let text = format!(
            "# Benchmarks\n\n{marker}\nLatest run: {date}, on {}, release build, loopback, scale 1/{}, {} run(s): each cell the median run [range], each ratio the median of the runs' ratios (range).\n\n{table}\n<!-- end -->{notes}",
            machine(),
            args.scale,
            args.runs.max(1)
        );
        std::fs::create_dir_all(root.join("docs"))?;
        std::fs::write(&doc, text)?;
        eprintln!("wrote {}", doc.display());
    }
    Ok(())
}
