//! The loopback demo: the asyncio documentation's TCP echo server runs on
//! the host's native backend, and the echo client, composed with the guest
//! component, talks to it over wasi:sockets. Both sides' output is shown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use portable_streams_host::engine::{Allocation, new_engine};
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, OutputStream, RunConfig, run};
use portable_streams_tests::build;
use tokio::sync::oneshot;

/// The backend the echo server runs on.
const SERVER_BACKEND: Backend = Backend::Native;

/// How long each side may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Prints a component's lines with a label; the server's "Serving on" line
/// also reports its port.
fn labelled(label: &'static str, port_tx: Option<oneshot::Sender<u16>>) -> Output {
    let port_tx = Mutex::new(port_tx);
    Output::Lines(Arc::new(move |stream, line| {
        let stream = match stream {
            OutputStream::Stdout => "",
            OutputStream::Stderr => " (stderr)",
        };
        println!("[{label}{stream}] {line}");
        if let Some(rest) = line.strip_prefix("Serving on ")
            && let Some(port) = rest
                .trim_end_matches(')')
                .rsplit(", ")
                .next()
                .and_then(|p| p.parse().ok())
            && let Some(tx) = port_tx.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            let _ = tx.send(port);
        }
    }))
}

fn config(backend: Backend, args: &[&str], output: Output) -> Result<RunConfig> {
    let policy = Policy::deny_all()
        .allow_listen("127.0.0.1:*")?
        .allow_connect("127.0.0.1:*")?;
    Ok(RunConfig {
        backend,
        policy: Arc::new(policy),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        output,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    println!("[demo] building the example components (the first run takes a minute)...");
    let (server_wasm, client_wasm) = tokio::task::spawn_blocking(|| {
        (
            build::component("tcp-echo-server"),
            build::component("tcp-echo-client"),
        )
    })
    .await?;
    let server_bytes = std::fs::read(&server_wasm).context("read the server component")?;
    let client_bytes = std::fs::read(&client_wasm).context("read the client component")?;
    let engine = new_engine(Allocation::OnDemand).map_err(|e| anyhow!("{e:#}"))?;

    println!(
        "[demo] echo server: {SERVER_BACKEND:?} backend; echo client: guest component over wasi:sockets"
    );
    let (port_tx, port_rx) = oneshot::channel();
    let server_config = config(
        SERVER_BACKEND,
        &["tcp-echo-server", "127.0.0.1", "0", "--max-clients", "1"],
        labelled("server", Some(port_tx)),
    )?;
    let server_engine = engine.clone();
    let server =
        tokio::spawn(async move { run(&server_engine, &server_bytes, &server_config).await });

    let port = tokio::time::timeout(TIMEOUT, port_rx)
        .await
        .context("the server did not start listening")?
        .context("the server stopped before listening")?;
    let port = port.to_string();
    let client_config = config(
        Backend::Guest,
        &["tcp-echo-client", "127.0.0.1", &port, "Hello World!"],
        labelled("client", None),
    )?;
    let client = tokio::time::timeout(TIMEOUT, run(&engine, &client_bytes, &client_config))
        .await
        .context("the client timed out")??;
    let server = tokio::time::timeout(TIMEOUT, server)
        .await
        .context("the server did not stop after its client")???;
    if client.exit_code != 0 || server.exit_code != 0 {
        bail!(
            "client exited with {}, server with {}",
            client.exit_code,
            server.exit_code
        );
    }
    println!("[demo] done: both sides exited cleanly");
    Ok(())
}
