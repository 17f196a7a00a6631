//! The upstream leak the guest works around (`guest/src/settle.rs`), kept
//! as a minimal reproducer: two tiny components, composed. wasmtime 48-50
//! keep one task entry per async cross-component call whose callee
//! completes without blocking, in a table of 1,000,000 entries.
//!
//! `plain_calls_exhaust_the_table` is expected to trap. When an upgrade
//! fixes the leak it fails, saying so: then the guest's workaround (one
//! yield per call answered at once) can go.

use std::sync::Arc;

use portable_streams_host::compose::compose;
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, prepare, run_component};
use portable_streams_tests::{RUN_TIMEOUT, build, engine};

/// Runs `leak-caller MODE` composed with `leak-callee`.
async fn run(mode: &str) -> Result<String, String> {
    let component = tokio::task::block_in_place(|| {
        let caller = std::fs::read(build::component("leak-caller")).expect("read leak-caller");
        let callee = std::fs::read(build::component("leak-callee")).expect("read leak-callee");
        let composed = compose(&caller, &callee).expect("compose caller and callee");
        prepare(engine(), &composed, Backend::Native).expect("prepare")
    });
    let config = RunConfig {
        backend: Backend::Native,
        policy: Arc::new(Policy::deny_all()),
        args: vec!["leak-caller".into(), mode.into()],
        env: Vec::new(),
        output: Output::Capture,
    };
    let outcome = tokio::time::timeout(RUN_TIMEOUT, run_component(engine(), &component, &config))
        .await
        .expect("the run finishes");
    match outcome {
        Ok(o) if o.exit_code == 0 => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => Err(format!(
            "exit {}: {}",
            o.exit_code,
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_calls_exhaust_the_table() {
    match run("plain").await {
        Err(e) if e.contains("no free keys") => {}
        Ok(out) => panic!(
            "1.1 million calls answered at once no longer trap ({out}): the upstream leak \
             is fixed; remove the guest's workaround (guest/src/settle.rs) and this test"
        ),
        Err(other) => panic!("expected the table to run out, got: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_that_yield_once_do_not_leak() {
    let out = run("yielding").await.expect("1.1 million yielding calls");
    assert_eq!(out.trim(), "1100000 calls");
}
