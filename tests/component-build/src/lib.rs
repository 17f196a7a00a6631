//! Building the workspace's component crates for wasm32-wasip2.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("tests/component-build sits two levels below the workspace root")
        .to_path_buf()
}

/// Builds the binary component `package` (profile `component`, wasm32-wasip2, in
/// `target/wasm`) once per process and returns its path.
pub fn component(package: &str) -> PathBuf {
    static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(p, _)| p == package) {
        return path.clone();
    }
    let root = workspace_root();
    let target_dir = root.join("target").join("wasm");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args([
            "build",
            "--profile",
            "component",
            "--target",
            "wasm32-wasip2",
            "-p",
            package,
            "--target-dir",
        ])
        .arg(&target_dir)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building {package} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Binaries keep the package name; libraries (cdylib) use underscores.
    let dir = target_dir.join("wasm32-wasip2/component");
    let bin = dir.join(format!("{package}.wasm"));
    let path = if bin.exists() {
        bin
    } else {
        dir.join(format!("{}.wasm", package.replace('-', "_")))
    };
    built.push((package.to_owned(), path.clone()));
    path
}
