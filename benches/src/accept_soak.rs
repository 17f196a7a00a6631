//! `bench --accept-soak COUNT`: one server component, in one store, serves
//! COUNT clients in a row (each: connect, one line echoed, close; a few in
//! flight), on each backend. Reports the clients served, the time, and
//! resident memory over the run (first, last and peak sample). Bounded by
//! COUNT, loopback only, not part of CI.

use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::pin::pin;

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use futures::future::{Either, select};
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, run_component};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::soak::{RssSampler, first_last_peak};

/// Clients in flight at once.
const IN_FLIGHT: usize = 8;

/// One backend's run.
pub struct AcceptSoakReport {
    backend: Backend,
    served: usize,
    elapsed: Duration,
    rss_mib: Vec<f64>,
}

impl AcceptSoakReport {
    /// The table header for [`Self::row`].
    pub const HEADER: &str = "| backend | clients served in one store | time | clients/s | RSS first / last / peak sample |\n|---|---|---|---|---|";

    /// One markdown row.
    pub fn row(&self) -> String {
        let (first, last, peak) = first_last_peak(&self.rss_mib);
        format!(
            "| {:?} | {} | {:.0} s | {:.0} | {first:.0} / {last:.0} / {peak:.0} MiB |",
            self.backend,
            self.served,
            self.elapsed.as_secs_f64(),
            self.served as f64 / self.elapsed.as_secs_f64(),
        )
    }
}

/// One client: connect (retrying while the server is not up yet), one
/// line echoed, close.
async fn client(port: u16) -> Result<()> {
    let stream = loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(stream) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    stream.set_nodelay(true)?;
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(b"hello\n").await?;
    let mut reply = String::new();
    stream.read_line(&mut reply).await?;
    if reply != "hello\n" {
        bail!("the server answered {reply:?}");
    }
    Ok(())
}

/// Runs the server component on `backend` until it has served `count`.
pub async fn run(
    engine: &Engine,
    compiled: &Component,
    backend: Backend,
    count: usize,
) -> Result<AcceptSoakReport> {
    let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = RunConfig {
        backend,
        policy: Arc::new(Policy::deny_all().allow_listen(&format!("127.0.0.1:{port}"))?),
        args: ["bench-client", "serve-many", "127.0.0.1"]
            .map(String::from)
            .into_iter()
            .chain([port.to_string(), count.to_string()])
            .collect(),
        env: Vec::new(),
        output: Output::Capture,
    };
    let sampler = RssSampler::start();
    let started = Instant::now();
    let server = run_component(engine, compiled, &config);
    let clients = async {
        let mut runs = futures::stream::iter(0..count)
            .map(|_| client(port))
            .buffer_unordered(IN_FLIGHT);
        let mut served = 0;
        while let Some(result) = runs.next().await {
            result.with_context(|| format!("client {}", served + 1))?;
            served += 1;
            if served % 100_000 == 0 {
                eprintln!("  {served} served");
            }
        }
        anyhow::Ok(served)
    };
    // Whichever ends first, the other gets a bounded time to follow: a
    // server that died must not leave the clients retrying for ever.
    let bound = Duration::from_secs(60);
    let (outcome, served) = match select(pin!(server), pin!(clients)).await {
        Either::Left((outcome, clients)) => {
            let served = tokio::time::timeout(bound, clients).await;
            (
                outcome,
                served.unwrap_or_else(|_| Err(anyhow!("clients still running"))),
            )
        }
        Either::Right((served, server)) => {
            let served = served?;
            let outcome = tokio::time::timeout(bound, server)
                .await
                .context("the server did not end after its last client")?;
            (outcome, Ok(served))
        }
    };
    let elapsed = started.elapsed();
    let rss_mib = sampler.finish();
    let outcome = outcome?;
    if outcome.exit_code != 0 {
        bail!("{}", String::from_utf8_lossy(&outcome.stderr).trim());
    }
    Ok(AcceptSoakReport {
        backend,
        served: served?,
        elapsed,
        rss_mib,
    })
}
