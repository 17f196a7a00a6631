//! TLS on both backends against CPython `ssl` peers (a throwaway CA
//! made for each test): echo with 4 MiB of lines across TLS records, the
//! connection's TLS details, no `write_eof`, a clean close, an abrupt
//! close read as EOF, refusals naming their cause (untrusted root, wrong
//! name, bad PEM), ALPN, a TLS server that serves CPython clients while
//! one that fails its handshake disturbs nothing, an expired certificate,
//! a handshake timeout, `ssl_shutdown_timeout` for a server's connection
//! and a client's, `start_tls` mid-stream on either side (CPython's
//! `test_start_tls`), and TLS over memory as CPython's client; every one on both
//! backends (the guest runs its own TLS stack inside the component).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portable_streams_host::policy::Policy;
use portable_streams_host::run::Backend;
use portable_streams_tests::build::workspace_root;
use portable_streams_tests::pki::Pki;
use portable_streams_tests::python::ReverseClient;
use portable_streams_tests::{assert_success, python3, run};

const CLIENT: &str = "scenario-client";

/// CPython's TLS echo server (`tests/tls_peer.py server`), killed on drop.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    /// `tests/tls_peer.py MODE CHAIN KEY EXTRA...`.
    fn start(mode: &str, pki: &Pki, extra: &[&str]) -> Option<Self> {
        let python = python3()?;
        let mut child = Command::new(python)
            .arg(workspace_root().join("tests/tls_peer.py"))
            .arg(mode)
            .arg(pki.file("chain.pem"))
            .arg(pki.file("key.pem"))
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the CPython TLS server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read its port");
        let port = line.trim().parse().expect("a port");
        Some(Self { child, port })
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a TLS scenario against `127.0.0.1:port` with `pems` after it.
async fn scenario(backend: Backend, name: &str, port: u16, pems: &[&str]) {
    let mut args: Vec<String> = [CLIENT, name, "127.0.0.1", &port.to_string()]
        .map(String::from)
        .to_vec();
    args.extend(pems.iter().map(|p| p.to_string()));
    let outcome = run(CLIENT, backend, Policy::allow_all(), &args).await;
    assert_success(&format!("{name} on {backend:?}"), &outcome);
}

async fn tls_echo_details_and_clean_close_against_cpython(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("server", &pki, &[]) else {
        return;
    };
    scenario(backend, "tls-echo", server.port, &[&pki.ca_pem]).await;
}

async fn tls_refusals_name_their_cause(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("server", &pki, &[]) else {
        return;
    };
    for name in ["tls-untrusted", "tls-wrong-name", "tls-bad-pem"] {
        scenario(backend, name, server.port, &[&pki.ca_pem]).await;
    }
}

/// TLS over memory (`tls-over-memory`, the SDK's `MemoryTls`) as a
/// client of CPython's TLS server, its ciphertext moved over a plain
/// connection by the component: echo, details, `close_notify` both ways;
/// a wrong name refused with the alert for the peer.
async fn tls_over_memory_talks_to_cpython(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("server", &pki, &[]) else {
        return;
    };
    for name in ["tls-memory-echo", "tls-memory-wrong-name"] {
        scenario(backend, name, server.port, &[&pki.ca_pem]).await;
    }
}

/// TLS over memory as the server side (`MemoryTls::server`), against
/// CPython's TLS client (OpenSSL) at the other end of a connection the
/// component opened: the handshake, 1 MiB echoed unchanged, and
/// `close_notify` both ways, as the client saw them.
async fn tls_over_memory_serves_cpythons_client(backend: Backend) {
    let pki = Pki::new();
    if python3().is_none() {
        return;
    }
    // Built first: the peer waits for its connection a bounded time.
    tokio::task::block_in_place(|| portable_streams_tests::component(CLIENT, backend));
    let peer = ReverseClient::start(&pki.file("ca.pem"));
    scenario(
        backend,
        "tls-memory-serve",
        peer.port,
        &[&pki.chain_pem, &pki.key_pem],
    )
    .await;
    assert_eq!(
        peer.saw(),
        "TLSv1.3 echo/1: 1048582 of 1048582 bytes echoed, unchanged, close_notify both ways, then EOF"
    );
}

async fn an_abrupt_tls_close_reads_as_eof(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("server", &pki, &["abrupt"]) else {
        return;
    };
    scenario(backend, "tls-abrupt", server.port, &[&pki.ca_pem]).await;
}

/// A handshake the peer never answers ends at `handshake-timeout`.
async fn a_silent_peer_hits_the_handshake_timeout(backend: Backend) {
    scenario(backend, "tls-handshake-timeout", 9, &[]).await;
}

/// An expired server certificate is refused, naming the cause (server and
/// client in one component).
async fn an_expired_certificate_is_refused(backend: Backend) {
    let pki = Pki::expired();
    scenario(
        backend,
        "tls-expired",
        9,
        &[&pki.ca_pem, &pki.chain_pem, &pki.key_pem],
    )
    .await;
}

/// `ssl_shutdown_timeout` for a server's connections and for a client's,
/// each closing against a peer that stopped reading (server and client
/// in one component).
async fn closing_ends_at_the_shutdown_timeout(backend: Backend) {
    let pki = Pki::new();
    scenario(
        backend,
        "tls-shutdown-timeout",
        9,
        &[&pki.ca_pem, &pki.chain_pem, &pki.key_pem],
    )
    .await;
}

/// Runs `tests/tls_peer.py MODE PORT ARGS` until it exits 0, retrying
/// while the server is not up yet (for at most 30 s).
fn python_client(mode: &str, port: u16, args: &[&std::path::Path]) {
    let python = python3().expect("python3");
    let started = Instant::now();
    loop {
        let out = Command::new(&python)
            .arg(workspace_root().join("tests/tls_peer.py"))
            .arg(mode)
            .arg(port.to_string())
            .args(args)
            .output()
            .expect("run the CPython client");
        if out.status.success() {
            return;
        }
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            text.contains("ConnectionRefusedError") && started.elapsed() < Duration::from_secs(30),
            "{mode}: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs the server scenario `name` (given the server's chain and key) on
/// a free port, then the CPython clients `(mode, trusts the CA)` against
/// it, one after the other; the scenario must end well once they did.
async fn component_server_with_cpython_clients(
    backend: Backend,
    name: &'static str,
    clients: &'static [(&str, bool)],
) {
    let pki = Pki::new();
    if python3().is_none() {
        return;
    }
    let port = portable_streams_tests::free_port();
    let server = tokio::spawn({
        let pems = [pki.chain_pem.clone(), pki.key_pem.clone()];
        async move {
            scenario(backend, name, port, &[&pems[0], &pems[1]]).await;
        }
    });
    let ca = pki.file("ca.pem");
    tokio::task::spawn_blocking(move || {
        for &(mode, trusts) in clients {
            let args: &[&std::path::Path] = if trusts { &[&ca] } else { &[] };
            python_client(mode, port, args);
        }
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("the component's server did not finish after its clients")
        .unwrap();
}

async fn a_tls_server_serves_cpython_past_a_failed_handshake(backend: Backend) {
    // A client that does not trust the CA fails its handshake first.
    component_server_with_cpython_clients(
        backend,
        "tls-serve",
        &[("untrusting-client", false), ("client", true)],
    )
    .await;
}

async fn start_tls_mid_stream_as_a_client(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("starttls-server", &pki, &[]) else {
        return;
    };
    scenario(backend, "tls-starttls-client", server.port, &[&pki.ca_pem]).await;
}

async fn start_tls_while_a_read_waits(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("starttls-server", &pki, &[]) else {
        return;
    };
    scenario(backend, "tls-starttls-reading", server.port, &[&pki.ca_pem]).await;
}

async fn a_write_during_start_tls_goes_over_tls(backend: Backend) {
    let pki = Pki::new();
    let Some(server) = PythonServer::start("starttls-server", &pki, &[]) else {
        return;
    };
    scenario(backend, "tls-starttls-writing", server.port, &[&pki.ca_pem]).await;
}

async fn start_tls_mid_stream_as_a_server(backend: Backend) {
    component_server_with_cpython_clients(
        backend,
        "tls-starttls-server",
        &[("starttls-client", true)],
    )
    .await;
}

/// Every test above, once per backend.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                use super::*;

                #[tokio::test(flavor = "multi_thread")]
                async fn native() {
                    super::$test(Backend::Native).await;
                }

                #[tokio::test(flavor = "multi_thread")]
                async fn guest() {
                    super::$test(Backend::Guest).await;
                }
            }
        )*
    };
}

on_both_backends!(
    tls_echo_details_and_clean_close_against_cpython,
    tls_refusals_name_their_cause,
    tls_over_memory_talks_to_cpython,
    tls_over_memory_serves_cpythons_client,
    an_abrupt_tls_close_reads_as_eof,
    a_tls_server_serves_cpython_past_a_failed_handshake,
    start_tls_mid_stream_as_a_client,
    start_tls_while_a_read_waits,
    a_write_during_start_tls_goes_over_tls,
    start_tls_mid_stream_as_a_server,
    a_silent_peer_hits_the_handshake_timeout,
    an_expired_certificate_is_refused,
    closing_ends_at_the_shutdown_timeout,
);
