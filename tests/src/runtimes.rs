//! The other runtimes a composed component runs on: the plain wasmtime CLI
//! (48) and Node 24 through jco (in `tests/js`), where `scripts/test.sh`
//! installs them. Each function fails the test where its runtime is
//! missing, or gives `None` where the run opted out of missing tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::build::workspace_root;
use crate::tools;

fn missing(what: &str) -> Option<Output> {
    tools::missing(what);
    None
}

/// Runs `wasm` with `args` on the plain wasmtime CLI ([`tools::wasmtime`]),
/// as the README's command does.
pub fn on_plain_wasmtime(wasm: &Path, args: &[&str]) -> Option<Output> {
    let wasmtime: PathBuf = tools::wasmtime();
    let present = Command::new(&wasmtime)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return missing("the wasmtime CLI 48 (target/tools/bin/wasmtime, or $WASMTIME)");
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
        return missing("Node 24 and jco in tests/js");
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
