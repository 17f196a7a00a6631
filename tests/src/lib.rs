//! Support for the integration tests: building test components for
//! wasm32-wasip2 (into their own target dir), compiling them once per
//! process, and running them on either backend.

/// Building components (re-exported for the tests, demo and benchmarks).
pub use component_build as build;
pub mod peers;
pub mod pki;
pub mod python;
pub mod runtimes;
pub mod server;
pub mod tools;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use portable_streams_host::engine::{Allocation, new_engine};
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{
    Backend, Captured, Output, RunConfig, RunOutcome, prepare, run_component,
};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How long one component run may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The engine shared by every test in this process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| new_engine(Allocation::OnDemand).expect("engine"))
}

/// `package` built for wasm32-wasip2 and compiled for `backend`, once per
/// process. `python:NAME` is `examples/python/NAME.py`, built as a Python
/// component.
pub fn component(package: &str, backend: Backend) -> Component {
    type Cache = Mutex<Vec<(String, Backend, Component)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, c)) = cache.iter().find(|(p, b, _)| p == package && *b == backend) {
        return c.clone();
    }
    let path = match package.strip_prefix("python:") {
        Some(name) => python::component(name),
        None => build::component(package),
    };
    let bytes = std::fs::read(path).expect("read component");
    let compiled = prepare(engine(), &bytes, backend).expect("prepare component");
    cache.push((package.to_owned(), backend, compiled.clone()));
    compiled
}

/// Runs `package` with `args` (program name first) on `backend` with
/// captured output, failing the test on a timeout or a host error.
pub async fn run(package: &str, backend: Backend, policy: Policy, args: &[String]) -> RunOutcome {
    run_within(RUN_TIMEOUT, package, backend, policy, args).await
}

/// [`run`] with a bound of its own, for long runs.
pub async fn run_within(
    bound: Duration,
    package: &str,
    backend: Backend,
    policy: Policy,
    args: &[String],
) -> RunOutcome {
    let component = tokio::task::block_in_place(|| component(package, backend));
    let captured = Captured::default();
    let config = RunConfig {
        backend,
        policy: Arc::new(policy),
        args: args.to_vec(),
        env: Vec::new(),
        output: Output::CaptureInto(captured.clone()),
    };
    let printed = || {
        let (stdout, stderr) = captured.contents();
        format!(
            "\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )
    };
    match tokio::time::timeout(bound, run_component(engine(), &component, &config)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(err)) => panic!(
            "running {package} on {backend:?} failed: {err}{}",
            printed()
        ),
        Err(_) => panic!(
            "{package} on {backend:?} did not finish within {bound:?}{}",
            printed()
        ),
    }
}

/// A policy that allows connecting and listening on 127.0.0.1 only.
pub fn loopback() -> Policy {
    Policy::deny_all()
        .allow_connect("127.0.0.1:*")
        .expect("a valid rule")
        .allow_listen("127.0.0.1:*")
        .expect("a valid rule")
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A component's command line from string slices.
pub fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Panics with the component's output unless it exited 0.
pub fn assert_success(what: &str, outcome: &RunOutcome) {
    assert_eq!(
        outcome.exit_code,
        0,
        "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&outcome.stdout),
        String::from_utf8_lossy(&outcome.stderr)
    );
}

/// The lines of a captured output.
pub fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The Python interpreter for the CPython peers ([`tools::python`]), or
/// `None` where there is none and the run opted out of missing tools
/// (otherwise the test fails naming it).
pub fn python3() -> Option<std::path::PathBuf> {
    let python = tools::python_if_present();
    if python.is_none() {
        tools::missing("python3 (CPython, for the asyncio peers)");
    }
    python
}
