//! `bench --soak SECONDS`: 1,000 connections per backend echoing checked
//! payloads for that long; reports the bytes checked, resident memory over
//! time (first and last samples) and open file descriptors before and
//! after. Bounded in time, loopback only, not part of CI.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use portable_streams_host::run::{Backend, run_component};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::contenders::{client_config, rss_bytes};

/// How often resident memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// This process's open file descriptors, each as what it points to (the
/// listing's own descriptor left out).
fn open_fds() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut fds: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            let own = target.starts_with("/proc") && target.ends_with("fd");
            let name = e.file_name();
            (!own).then(|| format!("{} -> {}", name.to_string_lossy(), target.display()))
        })
        .collect();
    fds.sort();
    fds
}

/// Samples this process's resident memory every [`SAMPLE_EVERY`] on a
/// thread of its own, from `start` to `finish`.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<f64>>,
}

impl RssSampler {
    /// Takes the first sample now and goes on.
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut samples = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    samples.push(rss_bytes() as f64 / (1 << 20) as f64);
                    let until = Instant::now() + SAMPLE_EVERY;
                    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                samples
            })
        };
        Self { stop, thread }
    }

    /// Stops and returns the samples, in MiB.
    pub fn finish(self) -> Vec<f64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The first, last and highest of `samples` (0 if none).
pub fn first_last_peak(samples: &[f64]) -> (f64, f64, f64) {
    let first = samples.first().copied().unwrap_or(0.0);
    let last = samples.last().copied().unwrap_or(0.0);
    (first, last, samples.iter().copied().fold(0.0, f64::max))
}

/// One backend's soak.
pub struct SoakReport {
    /// Which backend.
    pub backend: Backend,
    /// Bytes echoed and checked.
    pub bytes: u64,
    /// Round trips checked.
    pub rounds: u64,
    /// How long it ran.
    pub elapsed: Duration,
    /// Resident memory, one sample per [`SAMPLE_EVERY`], in MiB.
    pub rss_mib: Vec<f64>,
    /// Open file descriptors before, and after the connections closed.
    pub fds: (usize, usize),
}

impl SoakReport {
    /// One markdown row.
    pub fn row(&self) -> String {
        let (first, last, peak) = first_last_peak(&self.rss_mib);
        format!(
            "| {:?} | {:.0} s | {} | {:.1} MiB | {:.0} / {:.0} / {:.0} MiB | {} / {} |",
            self.backend,
            self.elapsed.as_secs_f64(),
            self.rounds,
            self.bytes as f64 / (1 << 20) as f64,
            first,
            last,
            peak,
            self.fds.0,
            self.fds.1,
        )
    }
}

/// Runs the soak on `backend` against the echo peer at `addr`.
pub async fn run(
    engine: &Engine,
    compiled: &Component,
    backend: Backend,
    addr: SocketAddr,
    seconds: u64,
) -> Result<SoakReport> {
    let fds_before = open_fds();
    let config = client_config(backend, "soak", addr, seconds, &[])?;
    let sampler = RssSampler::start();
    let started = Instant::now();
    let outcome = run_component(engine, compiled, &config).await;
    let elapsed = started.elapsed();
    let rss_mib = sampler.finish();
    let outcome = outcome?;
    if outcome.exit_code != 0 {
        bail!("{}", String::from_utf8_lossy(&outcome.stderr).trim());
    }
    // Closed connections leave the kernel's tables a moment later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    let field = |key: &str| {
        stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix(key)?
                    .strip_prefix('=')?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    Ok(SoakReport {
        backend,
        bytes: field("soak_bytes"),
        rounds: field("soak_rounds"),
        elapsed,
        rss_mib,
        fds: {
            let after = open_fds();
            let added: Vec<&String> = after.iter().filter(|f| !fds_before.contains(f)).collect();
            if !added.is_empty() {
                eprintln!("descriptors open after the run that were not before: {added:?}");
            }
            (fds_before.len(), after.len())
        },
    })
}

/// The table header for [`SoakReport::row`].
/// Every echo is checked byte for byte: a wrong or missing byte fails the
/// run, so a row means nothing was lost.
pub const HEADER: &str = "| backend | ran | round trips checked | bytes checked (each way) | RSS first / last / peak sample | open fds before / after |\n|---|---|---|---|---|---|";
