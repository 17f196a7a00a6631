//! Running a server component in the background and learning its port from
//! its "Serving on (..., PORT)" line.

use std::sync::{Arc, Mutex};

use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, RunOutcome, run_component};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{RUN_TIMEOUT, component, engine};

/// A server component running in the background.
pub struct RunningServer {
    /// The port it reported.
    pub port: u16,
    /// Every line it printed so far (stdout and stderr).
    pub lines: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<RunOutcome>,
}

impl RunningServer {
    /// Waits (bounded) for the server to exit.
    pub async fn finish(self) -> RunOutcome {
        tokio::time::timeout(RUN_TIMEOUT, self.task)
            .await
            .expect("server component did not exit")
            .expect("server task")
    }

    /// The lines printed so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Parses the port out of a "Serving on ('127.0.0.1', 8888)" line.
pub fn port_of_serving_line(line: &str) -> Option<u16> {
    line.strip_prefix("Serving on ")?
        .split(", ")
        .nth(1)?
        .trim_end_matches(')')
        .parse()
        .ok()
}

/// Starts `package` with `args` on `backend` and waits until it prints its
/// "Serving on" line.
pub async fn start(
    package: &str,
    backend: Backend,
    policy: Policy,
    args: &[&str],
) -> RunningServer {
    let compiled = tokio::task::block_in_place(|| component(package, backend));
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let (port_tx, port_rx) = oneshot::channel();
    let port_tx = Mutex::new(Some(port_tx));
    let sink = lines.clone();
    let output = Output::Lines(Arc::new(move |_, line| {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_owned());
        if let Some(port) = port_of_serving_line(line)
            && let Some(tx) = port_tx.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            let _ = tx.send(port);
        }
    }));
    let config = RunConfig {
        backend,
        policy: Arc::new(policy),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        output,
    };
    let name = package.to_owned();
    let task = tokio::spawn(async move {
        match run_component(engine(), &compiled, &config).await {
            Ok(outcome) => outcome,
            Err(err) => panic!("{name} failed: {err}"),
        }
    });
    let port = match tokio::time::timeout(RUN_TIMEOUT, port_rx).await {
        Ok(Ok(port)) => port,
        _ => panic!(
            "{package} never printed its Serving on line; output: {:?}",
            lines.lock().unwrap_or_else(|e| e.into_inner())
        ),
    };
    RunningServer { port, lines, task }
}
