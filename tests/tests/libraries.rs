//! Other people's code: well-known pure-Python asyncio libraries from PyPI,
//! unchanged, inside Python components on both backends, each against a
//! real local peer, printing what the same file prints under CPython:
//!
//! * redis-py's asyncio client (over `asyncio.open_connection`, CPython's
//!   own streams) against `redis-server`;
//! * websockets (its own `Protocol` over `loop.create_connection` and
//!   `loop.create_server`): a client of a CPython peer, and a server of
//!   its own with a client of it;
//! * httpx (over httpcore and anyio, whose asyncio backend calls
//!   `loop.create_connection` and reads `get_extra_info('socket')`, and
//!   runs HTTPS itself over `ssl.MemoryBIO` and `SSLObject`) against
//!   CPython's `http.server`, plain and over TLS;
//! * aiosmtplib (`loop.create_connection`, STARTTLS through
//!   `loop.start_tls`, `asyncio.to_thread` for its host name) against an
//!   aiosmtpd server that requires STARTTLS;
//! * aiohttp's client (pure-Python fallbacks of its C speedups;
//!   aiohappyeyeballs making sockets, `loop.sock_connect` and
//!   `loop.create_connection(sock=)`, over TLS too) against CPython's
//!   `http.server`, plain and over TLS; and aiohttp's server
//!   (`aiohttp.web`) with its client, in one component (ignored in the
//!   suite: see the test).
//!
//! The libraries are pinned in `tests/python/libraries/requirements.txt`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portable_streams_tests::pki::Pki;
use portable_streams_tests::python::same_as_cpython;
use portable_streams_tests::{python, tools};

/// A peer process, killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `redis-server` of its own on a free loopback port, once it accepts.
fn redis_server() -> Option<(Peer, u16)> {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        tools::missing("redis-server (apt-get install redis-server; scripts/test.sh installs it)");
        return None;
    }
    let port = portable_streams_tests::free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let peer = Peer(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((peer, port))
}

/// A CPython peer process and the first line it printed (its port or
/// ports, as its source says).
fn cpython_peer(command: &mut Command) -> (Peer, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the peer");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).expect("the peer's first line");
    // The rest of its output is not needed; keep the pipe drained.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (Peer(child), line.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_py_over_cpythons_own_streams_matches_cpython() {
    if !python::available() {
        return;
    }
    let Some((_redis, port)) = redis_server() else {
        return;
    };
    same_as_cpython("tests/python/libraries/redis_client", &[&port.to_string()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn websockets_client_and_server_over_their_own_protocol_match_cpython() {
    if !python::available() {
        return;
    }
    let (_peer, port) = cpython_peer(&mut python::cpython(
        "tests/python/libraries/websockets_peer",
    ));
    same_as_cpython("tests/python/libraries/websockets_both", &[&port]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn httpx_over_anyio_matches_cpython() {
    if !python::available() {
        return;
    }
    let pki = Pki::new();
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("hello.txt"), "hello from the peer\n").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(site.path().join("big.bin"), big).unwrap();
    let (_peer, ports) = cpython_peer(
        python::cpython("tests/python/libraries/http_peers")
            .arg(site.path())
            .arg(pki.file("chain.pem"))
            .arg(pki.file("key.pem"))
            .stderr(Stdio::null()),
    );
    // "HTTP_PORT HTTPS_PORT"
    let (http, https) = ports
        .split_once(' ')
        .unwrap_or_else(|| panic!("unexpected first line {ports:?}"));
    let expected = same_as_cpython(
        "tests/python/libraries/httpx_client",
        &[http, https, &pki.ca_pem],
    )
    .await;
    assert!(
        expected.contains(&"untrusted: ConnectError True".to_owned()),
        "{expected:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aiosmtplib_over_starttls_matches_cpython() {
    if !python::available() {
        return;
    }
    let pki = Pki::new();
    let (_peer, port) = cpython_peer(
        python::cpython("tests/python/libraries/smtp_peer")
            .arg(pki.file("chain.pem"))
            .arg(pki.file("key.pem")),
    );
    same_as_cpython("tests/python/libraries/smtp_client", &[&port, &pki.ca_pem]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aiohttp_over_sock_connect_matches_cpython() {
    if !python::available() {
        return;
    }
    let pki = Pki::new();
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("hello.txt"), "hello from the peer\n").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.path().join("big.bin"), big).unwrap();
    let (_peer, ports) = cpython_peer(
        python::cpython("tests/python/libraries/http_peers")
            .arg(site.path())
            .arg(pki.file("chain.pem"))
            .arg(pki.file("key.pem"))
            .stderr(Stdio::null()),
    );
    // "HTTP_PORT HTTPS_PORT"
    let (http, https) = ports
        .split_once(' ')
        .unwrap_or_else(|| panic!("unexpected first line {ports:?}"));
    same_as_cpython(
        "tests/python/libraries/aiohttp_client",
        &[http, https, &pki.ca_pem],
    )
    .await;
}

/// Ignored in the suite: it passed in over 250 runs (73 whole library
/// runs, 60 of them beside a busy loop; 92 of its own, 40 beside two; 84
/// through the CLI, 24 under load), but once, in a whole CI run, the
/// Native run did not finish within 120 s. Not reproduced since; a run
/// past its bound now fails showing what it printed. Run it with
/// `--ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "one unexplained Native hang in a whole CI run; see its doc comment"]
async fn aiohttp_web_server_and_client_match_cpython() {
    if !python::available() {
        return;
    }
    same_as_cpython("tests/python/libraries/aiohttp_web", &[]).await;
}
