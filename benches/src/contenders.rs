//! Running one workload on each contender.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, run_component};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::report::Sample;
use crate::tls::BenchTls;
use crate::workload::Workload;

/// Parses the `key=value` lines the benchmark clients print.
fn parse_sample(stdout: &str) -> Result<Sample> {
    let field = |key: &str| -> Option<u64> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=')?.trim().parse().ok())
    };
    let elapsed = field("elapsed_ns").ok_or_else(|| anyhow!("no elapsed_ns in {stdout:?}"))?;
    let latency = field("p50_ns")
        .zip(field("p99_ns"))
        .map(|(a, b)| (Duration::from_nanos(a), Duration::from_nanos(b)));
    let mut sample = Sample::new(Duration::from_nanos(elapsed), latency);
    sample.peak_rss = field("peak_rss_bytes");
    Ok(sample)
}

/// This process's resident set size, in bytes.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples RSS every few milliseconds until dropped; reports the peak
/// above the starting level.
pub struct RssWatch {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    base: u64,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssWatch {
    /// Starts watching.
    pub fn start() -> Self {
        let base = rss_bytes();
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(base));
        let thread = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        Self {
            stop,
            peak,
            base,
            thread: Some(thread),
        }
    }

    /// Stops and returns the peak growth in bytes.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed).saturating_sub(self.base)
    }
}

/// How the benchmark client runs `workload` (its name) against the peer at
/// `addr`: allowed to connect there and nowhere else, output captured.
pub fn client_config(
    backend: Backend,
    workload: &str,
    addr: SocketAddr,
    count: u64,
    extra: &[String],
) -> Result<RunConfig> {
    let policy = Policy::deny_all().allow_connect(&format!("127.0.0.1:{}", addr.port()))?;
    Ok(RunConfig {
        backend,
        policy: Arc::new(policy),
        args: [
            "bench-client".to_owned(),
            workload.to_owned(),
            addr.ip().to_string(),
            addr.port().to_string(),
            count.to_string(),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        .collect(),
        env: Vec::new(),
        output: Output::Capture,
    })
}

/// Runs the benchmark client component on `backend`.
pub async fn component(
    engine: &Engine,
    compiled: &Component,
    backend: Backend,
    workload: Workload,
    addr: SocketAddr,
    count: usize,
    extra: &[String],
) -> Result<Sample> {
    let config = client_config(backend, workload.name(), addr, count as u64, extra)?;
    let watch = RssWatch::start();
    let outcome = run_component(engine, compiled, &config).await?;
    let rss = watch.finish();
    if outcome.exit_code != 0 {
        bail!("{}", String::from_utf8_lossy(&outcome.stderr).trim());
    }
    let mut sample = parse_sample(&String::from_utf8_lossy(&outcome.stdout))?;
    sample.peak_rss = (workload == Workload::Concurrency).then_some(rss);
    Ok(sample)
}

/// Runs the CPython asyncio client script.
pub async fn asyncio(
    python: &Path,
    script: &Path,
    workload: Workload,
    addr: SocketAddr,
    count: usize,
    extra: &[String],
) -> Result<Sample> {
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            workload.name(),
            &addr.ip().to_string(),
            &addr.port().to_string(),
            &count.to_string(),
        ])
        .args(extra)
        .output()
        .await
        .context("run python3")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let mut sample = parse_sample(&String::from_utf8_lossy(&out.stdout))?;
    if workload != Workload::Concurrency {
        sample.peak_rss = None;
    }
    Ok(sample)
}

/// Runs the tokio client in this process.
pub async fn tokio_native(
    workload: Workload,
    addr: SocketAddr,
    count: usize,
    tls: Option<&BenchTls>,
) -> Result<Sample> {
    let watch = RssWatch::start();
    let mut sample = crate::tokio_client::run(workload, addr, count, tls).await?;
    let rss = watch.finish();
    sample.peak_rss = (workload == Workload::Concurrency).then_some(rss);
    Ok(sample)
}
