//! What the test set-up promises: a missing tool fails its test by name
//! (no silent skip), a component that outlives its bound fails its test
//! showing what it printed, and the wasmtime the host embeds is the newest
//! patch of its line.

use std::time::Duration;

use portable_streams_host::run::Backend;
use portable_streams_tests::build::workspace_root;
use portable_streams_tests::{args, loopback, run_within, tools};

#[test]
#[should_panic(expected = "the wasmtime CLI 48 is missing: `scripts/test.sh setup` installs it")]
fn a_missing_tool_fails_the_test_naming_it_and_the_command_that_installs_it() {
    tools::fail_unless_skipping(false, "the wasmtime CLI 48");
}

#[test]
fn a_missing_tool_skips_only_when_the_run_opted_out() {
    tools::fail_unless_skipping(true, "a tool this test made up");
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "--- stdout\nServing on ('127.0.0.1', ")]
async fn a_run_that_outlives_its_bound_fails_showing_what_it_printed() {
    // The echo server serves until stopped: its bound ends it.
    run_within(
        Duration::from_secs(3),
        "tcp-echo-server",
        Backend::Native,
        loopback(),
        &args(&["tcp-echo-server", "127.0.0.1", "0"]),
    )
    .await;
}

/// The version of `package` that Cargo.lock holds.
fn locked(package: &str) -> Vec<u64> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap();
    let entry = format!("name = \"{package}\"\nversion = \"");
    let at = lock.find(&entry).expect("the package in Cargo.lock") + entry.len();
    let version = &lock[at..at + lock[at..].find('"').unwrap()];
    version.split('.').map(|n| n.parse().unwrap()).collect()
}

#[test]
fn wasmtime_is_at_least_the_newest_patch_of_its_line() {
    // 48.0.10 carries hardening backports (stream and future cancel-handle
    // validation among them); the lock file must not move below it.
    // wasmtime-wasi's newest 48 release is 48.0.8 and runs on it.
    assert!(
        locked("wasmtime") >= vec![48, 0, 10],
        "{:?}",
        locked("wasmtime")
    );
    assert!(locked("wasmtime-wasi-io") >= vec![48, 0, 10]);
    assert!(locked("wasmtime-wasi") >= vec![48, 0, 8]);
}
