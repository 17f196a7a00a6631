//! `bench --serve`: line echo servers side by side, each in a process of
//! its own: `portable-streams serve` with the echo-handler example (one
//! instance per connection, and `--shared-instance`), a tokio echo server
//! and CPython's `asyncio.start_server`. For each: connections per second
//! (connect, one line echoed, close; 50 at a time), then with `idle`
//! silent clients held, the p50/p99 of 100 probes (a new client, one line
//! echoed) and the server's resident memory per idle client.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

/// Short connections timed for the connection rate.
const RATE_CONNECTIONS: usize = 2_000;
/// Of those, how many are in flight at once.
const RATE_IN_FLIGHT: usize = 50;
/// Probes timed while the idle clients are held.
const PROBES: usize = 100;
/// Idle clients checked to be still served at the end.
const IDLE_CHECKED: usize = 20;

/// One echo server's figures.
pub struct ServeRow {
    /// Which server.
    pub name: &'static str,
    /// Short connections per second.
    pub rate: f64,
    /// Idle clients held.
    pub idle: usize,
    /// Probe latency with the idle clients held: p50, p99.
    pub probe: (Duration, Duration),
    /// Resident memory added per idle client, in bytes.
    pub rss_per_idle: f64,
}

impl ServeRow {
    /// The markdown header of [`Self::markdown`].
    pub const HEADER: &str = "| server | connections/s | idle clients held | probe p50 (ms) | probe p99 (ms) | resident memory per idle client (KiB) |\n|---|---|---|---|---|---|";

    /// One markdown row.
    pub fn markdown(&self) -> String {
        format!(
            "| {} | {:.0} | {} | {:.2} | {:.2} | {:.1} |",
            self.name,
            self.rate,
            self.idle,
            self.probe.0.as_secs_f64() * 1e3,
            self.probe.1.as_secs_f64() * 1e3,
            self.rss_per_idle / 1024.0
        )
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `command` and waits for its "Serving on HOST:PORT" line.
    async fn start(mut command: Command) -> Result<Self> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start the server")?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(120),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .context("no Serving line within 120 s")??;
        let port = line
            .trim()
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .ok_or_else(|| anyhow!("unexpected first line {line:?}"))?;
        Ok(Self { child, port })
    }

    fn rss(&self) -> Result<u64> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| anyhow!("the server exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| anyhow!("no VmRSS for the server"))
    }
}

/// Connects, sends one line, reads the echo, closes; returns the time.
async fn exchange(port: u16) -> Result<Duration> {
    let start = Instant::now();
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(b"probe\n").await?;
    let mut reply = String::new();
    stream.read_line(&mut reply).await?;
    if reply != "probe\n" {
        bail!("the server answered {reply:?}");
    }
    Ok(start.elapsed())
}

/// Measures one server.
async fn measure(name: &'static str, server: Server, idle: usize) -> Result<ServeRow> {
    let port = server.port;
    // The first client pays for compilation caches and lazy set-up.
    exchange(port).await?;
    let start = Instant::now();
    let mut rate = futures::stream::iter(0..RATE_CONNECTIONS)
        .map(|_| exchange(port))
        .buffer_unordered(RATE_IN_FLIGHT);
    while let Some(result) = rate.next().await {
        result?;
    }
    let rate = RATE_CONNECTIONS as f64 / start.elapsed().as_secs_f64();
    // Let closed connections' instances go before the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let base = server.rss()?;
    let mut held = Vec::with_capacity(idle);
    for _ in 0..idle {
        held.push(TcpStream::connect(("127.0.0.1", port)).await?);
    }
    let mut latencies = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let probe = tokio::time::timeout(Duration::from_secs(10), exchange(port))
            .await
            .context("a probe waited 10 s")??;
        latencies.push(probe);
    }
    latencies.sort_unstable();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = server.rss()?;
    // Idle clients were held, not dropped: a few of them still echo.
    for stream in held.iter_mut().rev().take(IDLE_CHECKED) {
        stream.write_all(b"late\n").await?;
        let mut reply = [0u8; 5];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut reply))
            .await
            .context("an idle client was not served")??;
    }
    Ok(ServeRow {
        name,
        rate,
        idle,
        probe: (latencies[PROBES / 2], latencies[PROBES * 99 / 100 - 1]),
        rss_per_idle: rss.saturating_sub(base) as f64 / idle.max(1) as f64,
    })
}

/// The `portable-streams` CLI, built in release mode beside this binary.
fn cli(root: &Path) -> Result<PathBuf> {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "portable-streams-host", "--bin"])
        .arg("portable-streams")
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("building the portable-streams CLI failed");
    }
    let exe = std::env::current_exe()?;
    Ok(exe.with_file_name("portable-streams"))
}

/// Runs every server; rows in report order (failures as errors).
pub async fn run(root: &Path, python: Option<&Path>, idle: usize) -> Result<Vec<Result<ServeRow>>> {
    portable_streams_host::system::raise_open_file_limit();
    let cli = cli(root)?;
    let handler = portable_streams_tests::build::component("echo-handler");
    let serve = |extra: &[&str]| {
        let mut command = Command::new(&cli);
        command
            .arg("serve")
            .arg(&handler)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra);
        command
    };
    let mut rows = Vec::new();
    eprintln!("serve: per-connection instances...");
    rows.push(measure_with("serve (instance per connection)", serve(&[]), idle).await);
    eprintln!("serve: one shared instance...");
    rows.push(
        measure_with(
            "serve --shared-instance",
            serve(&["--shared-instance"]),
            idle,
        )
        .await,
    );
    eprintln!("serve: tokio...");
    let mut tokio_server = Command::new(std::env::current_exe()?);
    tokio_server.arg("--tokio-echo-server");
    rows.push(measure_with("tokio echo server", tokio_server, idle).await);
    match python {
        Some(python) => {
            eprintln!("serve: asyncio...");
            let mut asyncio = Command::new(python);
            asyncio.arg(root.join("benches/asyncio_echo_server.py"));
            rows.push(measure_with("CPython asyncio.start_server", asyncio, idle).await);
        }
        None => rows.push(Err(anyhow!("python3 not installed"))),
    }
    Ok(rows)
}

async fn measure_with(name: &'static str, command: Command, idle: usize) -> Result<ServeRow> {
    let server = Server::start(command).await?;
    measure(name, server, idle).await.context(name)
}

/// `bench --tokio-echo-server`: tokio's line echo server, one task per
/// client, for the serve comparison.
pub async fn tokio_echo_server() -> Result<()> {
    portable_streams_host::system::raise_open_file_limit();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("Serving on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let mut stream = BufReader::new(stream);
            let mut line = Vec::new();
            while let Ok(n) = stream.read_until(b'\n', &mut line).await {
                if n == 0 || stream.get_mut().write_all(&line).await.is_err() {
                    break;
                }
                line.clear();
            }
        });
    }
}
