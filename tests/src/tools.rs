//! The tools some tests need beyond cargo (the Python venv with
//! componentize-py, the wasmtime CLI, Node 24 and jco), where
//! `scripts/test.sh` installs them, and what a test does when one is
//! missing: it fails naming the tool, unless the run opted out with
//! `PORTABLE_STREAMS_SKIP_MISSING=1`; then it skips and says so in
//! `target/skipped-tests.log`, which `scripts/test.sh` counts at the end.

use std::io::Write;
use std::path::PathBuf;

use crate::build::workspace_root;

/// The environment variable that lets tests skip for want of a tool.
pub const SKIP_MISSING: &str = "PORTABLE_STREAMS_SKIP_MISSING";

/// Whether this run opted out of tools it lacks (see [`SKIP_MISSING`]).
pub fn skipping_allowed() -> bool {
    std::env::var_os(SKIP_MISSING).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Reports that `tool` is missing: panics with the way to install it,
/// or, where the run opted out, records the skip and returns (the caller
/// then skips).
pub fn missing(tool: &str) {
    fail_unless_skipping(skipping_allowed(), tool);
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    eprintln!("skipped: {tool} is missing");
    let log = workspace_root().join("target/skipped-tests.log");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(file, "{test}: {tool}");
    }
}

/// The rule of [`missing`]: panics naming `tool` and how to install it,
/// unless `skip` (the run opted out).
pub fn fail_unless_skipping(skip: bool, tool: &str) {
    assert!(
        skip,
        "{tool} is missing: `scripts/test.sh setup` installs it (or run the tests with \
         `scripts/test.sh`); set {SKIP_MISSING}=1 to skip the tests that need it"
    );
}

/// The Python interpreter for building Python components and for the
/// CPython peers: `$PORTABLE_STREAMS_PYTHON`, else the project's venv
/// (`target/python-venv`, made by `scripts/test.sh`), else `python3`.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("PORTABLE_STREAMS_PYTHON") {
        return python.into();
    }
    let venv = workspace_root().join("target/python-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    "python3".into()
}

/// The wasmtime CLI: `$WASMTIME`, else `target/tools/bin/wasmtime` (where
/// `scripts/test.sh` builds it), else `wasmtime` on PATH.
pub fn wasmtime() -> PathBuf {
    if let Some(wasmtime) = std::env::var_os("WASMTIME") {
        return wasmtime.into();
    }
    let local = workspace_root().join("target/tools/bin/wasmtime");
    if local.exists() {
        return local;
    }
    "wasmtime".into()
}

/// [`python`] if it runs here, for callers that do without CPython (the
/// benchmarks leave its rows out).
pub fn python_if_present() -> Option<PathBuf> {
    let python = python();
    std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}
