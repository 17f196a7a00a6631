//! Builds the guest component (portable-streams-guest for wasm32-wasip2,
//! profile `component`, with WebAssembly SIMD) into its own target dir and
//! embeds it, so `run --backend guest` and `compose` need no extra file.
//!
//! Outside the workspace (the crate as `cargo package` makes it), there is
//! no guest source to build: the package carries the component the
//! workspace built (`guest-component.wasm`, a link into `target/wasm-guest`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("guest.wasm");
    let root = manifest_dir
        .parent()
        .expect("a crate has a parent directory");
    if !root.join("guest/Cargo.toml").exists() {
        let packaged = manifest_dir.join("guest-component.wasm");
        println!("cargo:rerun-if-changed={}", packaged.display());
        std::fs::copy(&packaged, &out)
            .expect("a packaged crate carries guest-component.wasm (build the workspace first)");
        return;
    }
    for dir in [
        "guest/src",
        "guest/Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "wit-io/src",
        "wit-io/Cargo.toml",
        "chacha/src",
        "chacha/Cargo.toml",
        "p256/src",
        "p256/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    // Not `target/wasm`, where the other components are built without the
    // guest's flags: sharing it, each build would undo the other's.
    let target_dir = root.join("target").join("wasm-guest");
    let wasm = build_guest(root, &target_dir);
    std::fs::copy(&wasm, &out).expect("copy the guest component into OUT_DIR");
}

/// Runs a nested cargo with a clean environment: the outer build's flags,
/// target, toolchain and jobserver must not leak into the wasm build.
/// Under a toolchain override (`cargo +nightly fuzz ...`), the guest is
/// still built by the toolchain the repository pins (rustup's `cargo`,
/// which reads rust-toolchain.toml), the one with the wasm target.
fn build_guest(root: &Path, target_dir: &Path) -> PathBuf {
    let cargo = match std::env::var_os("RUSTUP_TOOLCHAIN") {
        Some(_) => "cargo".into(),
        None => std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    };
    let mut cmd = Command::new(cargo);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let leaks = (key.starts_with("CARGO_") && key != "CARGO_HOME")
            || matches!(
                &*key,
                "RUSTFLAGS"
                    | "RUSTUP_TOOLCHAIN"
                    | "RUSTC"
                    | "RUSTDOC"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "MAKEFLAGS"
                    | "MFLAGS"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
            );
        if leaks {
            cmd.env_remove(&*key);
        }
    }
    // The guest's ChaCha20 already needs `simd128` (every runtime we
    // target has it); the rest of its code may use it too: the compiler
    // then vectorizes GHASH (AES-GCM) by itself.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+simd128");
    cmd.current_dir(root).args([
        "build",
        "--profile",
        "component",
        "-p",
        "portable-streams-guest",
        "--target",
        "wasm32-wasip2",
        "--target-dir",
    ]);
    cmd.arg(target_dir);
    let status = cmd
        .status()
        .expect("run cargo to build the guest component");
    if !status.success() {
        panic!(
            "building the guest component failed; if the wasm32-wasip2 target is missing, run `rustup target add wasm32-wasip2`"
        );
    }
    target_dir.join("wasm32-wasip2/component/portable_streams_guest.wasm")
}
