//! The second and third runtimes: composed clients, Rust and Python, run on
//! the plain wasmtime CLI and on Node 24 through jco, against a CPython
//! echo server (`examples/python/tcp_echo_server.py`); and a composed TLS
//! client on plain wasmtime (its TLS runs inside the guest).

use std::path::Path;
use std::process::Output;

use portable_streams_host::compose::compose_with_guest;
use portable_streams_tests::{build, lines, python, python3, runtimes};

/// What the echo client prints, Rust's and Python's alike.
const ECHOED: [&str; 3] = [
    "Send: 'Hello World!'",
    "Received: 'Hello World!'",
    "Close the connection",
];

/// `client` (a component's bytes) composed with the guest, in `dir`.
fn composed(client: &[u8], dir: &Path) -> std::path::PathBuf {
    let wasm = dir.join("client.wasm");
    std::fs::write(&wasm, compose_with_guest(client).expect("compose")).unwrap();
    wasm
}

/// Runs `run(port)` against CPython's echo server (one client); its output
/// must be the echo client's (`expected`).
fn against_an_echo_server(
    what: &str,
    expected: &[String],
    run: impl FnOnce(&str) -> Option<Output>,
) {
    let (mut server, port) = python::echo_server(1);
    let port = port.to_string();
    let Some(out) = run(&port) else {
        let _ = server.kill();
        let _ = server.wait();
        return;
    };
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout), expected, "{what}");
    assert!(server.wait().unwrap().success(), "{what}: the server");
}

fn on_both(what: &str, wasm: &Path, expected: &[String]) {
    against_an_echo_server(&format!("{what} on plain wasmtime"), expected, |port| {
        runtimes::on_plain_wasmtime(wasm, &["127.0.0.1", port])
    });
    against_an_echo_server(&format!("{what} on Node 24"), expected, |port| {
        runtimes::on_node(wasm, &["127.0.0.1", port])
    });
}

#[test]
fn a_composed_rust_client_runs_on_plain_wasmtime_and_node() {
    if python3().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let client = std::fs::read(build::component("tcp-echo-client")).unwrap();
    let wasm = composed(&client, dir.path());
    // The Rust example prints the same lines, with double quotes.
    let expected: Vec<String> = ECHOED.iter().map(|l| l.replace('\'', "\"")).collect();
    on_both("the Rust echo client", &wasm, &expected);
}

/// A Python component on plain wasmtime. Not on Node: jco 1.x loses its
/// bookkeeping of sync calls ("Cannot destructure property 'componentIdx'
/// of 'SYMMETRIC_SYNC_GUEST_CALL_STACK.pop(...)'") when a connection is
/// closed while a read on it is pending, and an asyncio transport always
/// has one (`tests/js/python_close_repro.sh` reproduces it).
#[test]
fn a_composed_python_client_runs_on_plain_wasmtime() {
    if !python::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let client = std::fs::read(python::component("tcp_echo_client")).unwrap();
    let wasm = composed(&client, dir.path());
    let expected: Vec<String> = ECHOED.iter().map(|l| l.to_string()).collect();
    against_an_echo_server(
        "the Python echo client on plain wasmtime",
        &expected,
        |port| runtimes::on_plain_wasmtime(&wasm, &["127.0.0.1", port]),
    );
}

#[test]
fn a_composed_tls_client_runs_on_plain_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let client = std::fs::read(build::component("tls-echo")).unwrap();
    let wasm = composed(&client, dir.path());
    let pki = portable_streams_tests::pki::Pki::new();
    let (port, peer) = portable_streams_tests::peers::tls_echo_once(&pki);
    let port = port.to_string();
    let args = ["client", "127.0.0.1", &port, &pki.ca_pem, "Hi TLS"];
    let Some(out) = runtimes::on_plain_wasmtime(&wasm, &args) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("TLS: TLSv1.3 TLS13_"), "{stdout}");
    assert!(stdout.contains("Received: \"Hi TLS\""), "{stdout}");
    peer.join().unwrap();
}
