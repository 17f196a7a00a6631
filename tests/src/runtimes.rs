//! The other runtimes a composed component runs on: the plain wasmtime CLI
//! (48) and Node 24 through jco (in `tests/js`), where `.ci/run` installs
//! them. Each function gives `None` where its runtime is missing (and
//! fails instead when the run requires every tool).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::build::workspace_root;
use crate::must_not_skip;

fn missing(what: &str) -> Option<Output> {
    assert!(
        !must_not_skip(),
        "{what} is missing, and this run requires it"
    );
    eprintln!("skipped: {what} is missing");
    None
}

/// Runs `wasm` with `args` on the plain wasmtime CLI (`$WASMTIME` or
/// `wasmtime` on PATH), as the README's command does.
pub fn on_plain_wasmtime(wasm: &Path, args: &[&str]) -> Option<Output> {
    let wasmtime: PathBuf =
        std::env::var_os("WASMTIME").map_or_else(|| "wasmtime".into(), Into::into);
    let present = Command::new(&wasmtime)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return missing("the wasmtime CLI (set WASMTIME or put wasmtime 48 on PATH)");
    }
    let out = Command::new(wasmtime)
        .args([
            "run",
            "-W",
            "component-model-async",
            "-S",
            "p3",
            "-S",
            "inherit-network",
        ])
        .arg(wasm)
        .args(args)
        .output()
        .expect("run wasmtime");
    Some(out)
}

/// Transpiles `wasm` with jco and runs its `wasi:cli/run` on Node 24 with
/// `args` (the shims it imports resolve from `tests/js`).
pub fn on_node(wasm: &Path, args: &[&str]) -> Option<Output> {
    let modules = workspace_root().join("tests/js/node_modules");
    let node = modules.join(".bin/node");
    let present = Command::new(&node)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"v24."));
    if !present || !modules.join(".bin/jco").exists() {
        return missing("Node 24 and jco in tests/js (npm ci --prefix tests/js)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(&node)
        .arg(modules.join(".bin/jco"))
        .arg("transpile")
        .arg(wasm)
        .arg("-o")
        .arg(dir.path().join("out"))
        .arg("--name")
        .arg("component")
        .output()
        .expect("run jco");
    assert!(
        out.status.success(),
        "jco transpile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).expect("link the shims");
    let runner = dir.path().join("run.mjs");
    std::fs::write(
        &runner,
        "import { run } from './out/component.js';\nawait run.run();\n",
    )
    .expect("write the runner");
    let out = Command::new(&node)
        .arg(&runner)
        .args(args)
        .output()
        .expect("run node");
    Some(out)
}
