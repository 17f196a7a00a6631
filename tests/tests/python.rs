//! Python components: the asyncio documentation's examples in
//! `examples/python`, built with `python -m portable_streams build`, run on
//! both backends against CPython peers. Each one's output must be what the
//! same file prints when CPython itself runs it (client ports aside),
//! also for `tests/python/exceptions.py`: errors, timers, cancelled reads,
//! and tasks left waiting when `main` returns (no trap on exit); for TLS
//! clients and `start_tls` on an accepted connection.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, RunOutcome};
use portable_streams_tests::python::{ReverseClient, printed_by_cpython, same_as_cpython};
use portable_streams_tests::server::{self, port_of_serving_line};
use portable_streams_tests::{args, assert_success, lines, loopback, python, run};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const BACKENDS: &[Backend] = &[Backend::Native, Backend::Guest];

/// Waits for a server component to exit; its outcome and every line it
/// printed.
async fn finish(server: server::RunningServer) -> (RunOutcome, Vec<String>) {
    let printed = server.lines.clone();
    let outcome = server.finish().await;
    let lines = printed.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (outcome, lines)
}

/// A CPython server's whole output as a component's must read:
/// `first` (its "Serving on" line), then the rest, without ports; it
/// ends with "Server closed".
fn server_output(first: &str, finished: std::process::Output) -> Vec<String> {
    assert!(finished.status.success());
    let mut expected = vec![first.to_owned()];
    expected.extend(lines(&finished.stdout));
    let expected = without_ports(&expected);
    assert_eq!(expected.last().map(String::as_str), Some("Server closed"));
    expected
}

/// Lines with the port numbers in address tuples (`('127.0.0.1', 5123)`)
/// replaced, as they differ from run to run.
fn without_ports(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let mut out = String::new();
            let mut rest = line.as_str();
            while let Some(at) = rest.find("', ") {
                out.push_str(&rest[..at + 3]);
                rest = &rest[at + 3..];
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                if digits > 0 {
                    out.push_str("PORT");
                    rest = &rest[digits..];
                }
            }
            out.push_str(rest);
            out
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_client_prints_what_cpython_prints() {
    if !python::available() {
        return;
    }
    let (mut server, port) = python::echo_server(1 + BACKENDS.len());
    let port = port.to_string();
    let expected = python::cpython("tcp_echo_client")
        .args(["127.0.0.1", &port])
        .output()
        .expect("run the client under CPython");
    assert!(expected.status.success());
    let expected = lines(&expected.stdout);
    assert_eq!(expected[1], "Received: 'Hello World!'");
    for &backend in BACKENDS {
        let out = run(
            "python:tcp_echo_client",
            backend,
            loopback(),
            &args(&["tcp_echo_client.py", "127.0.0.1", &port]),
        )
        .await;
        assert_success(&format!("tcp_echo_client.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
    }
    assert!(
        server.wait().unwrap().success(),
        "CPython's server ended badly"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_prints_what_cpython_prints() {
    if !python::available() {
        return;
    }
    // CPython serving its own client, for the expected output.
    let (reference, port) = python::echo_server(1);
    let client = python::cpython("tcp_echo_client")
        .args(["127.0.0.1", &port.to_string()])
        .output()
        .unwrap();
    assert!(client.status.success());
    let expected = server_output(
        &format!("Serving on ('127.0.0.1', {port})"),
        reference.wait_with_output().unwrap(),
    );
    for &backend in BACKENDS {
        let server = server::start(
            "python:tcp_echo_server",
            backend,
            loopback(),
            &["tcp_echo_server.py", "127.0.0.1", "0", "1"],
        )
        .await;
        let port = server.port.to_string();
        let client = tokio::task::spawn_blocking(move || {
            python::cpython("tcp_echo_client")
                .args(["127.0.0.1", &port])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            client.status.success(),
            "{backend:?}: CPython's client failed"
        );
        assert_eq!(
            lines(&client.stdout)[1],
            "Received: 'Hello World!'",
            "{backend:?}"
        );
        let (outcome, output) = finish(server).await;
        assert_eq!(outcome.exit_code, 0, "{backend:?}: {output:?}");
        assert_eq!(without_ports(&output), expected, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_headers_prints_what_cpython_prints() {
    if !python::available() {
        return;
    }
    let (port, served) = portable_streams_tests::peers::http_once().await;
    let url = format!("http://127.0.0.1:{port}/index.html");
    let expected = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || python::cpython("http_headers").arg(url).output())
            .await
            .unwrap()
            .unwrap()
    };
    assert!(expected.status.success());
    let expected_request = served.await.unwrap();
    let expected = lines(&expected.stdout);
    assert_eq!(expected[0], "HTTP header> HTTP/1.0 200 OK");
    for &backend in BACKENDS {
        let (port, served) = portable_streams_tests::peers::http_once().await;
        let url = format!("http://127.0.0.1:{port}/index.html");
        let out = run(
            "python:http_headers",
            backend,
            loopback(),
            &args(&["http_headers.py", &url]),
        )
        .await;
        assert_success(&format!("http_headers.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
        assert_eq!(served.await.unwrap(), expected_request, "{backend:?}");
    }
}

/// The peer of `tests/python/exceptions.py`: to every other client the
/// lines and EOF it expects, to the rest b"late\n" once they send b"go".
async fn exceptions_peer() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut late = false;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 16];
            if late {
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
                let _ = stream.write_all(b"late\n").await;
            } else {
                let mut data = b"short\n".to_vec();
                data.extend([b'x'; 40]);
                data.extend(b"\nabc");
                let _ = stream.write_all(&data).await;
                let _ = stream.shutdown().await;
            }
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
            late = !late;
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn exceptions_timers_and_cancelled_reads_match_cpython() {
    if !python::available() {
        return;
    }
    let port = exceptions_peer().await.to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let expected =
        printed_by_cpython("tests/python/exceptions", &["127.0.0.1", &port, &closed]).await;
    assert_eq!(
        expected[expected.len() - 2..],
        ["done", "after asyncio.run, as CPython"]
    );
    for &backend in BACKENDS {
        let out = run(
            "python:tests/python/exceptions",
            backend,
            loopback(),
            &args(&["exceptions.py", "127.0.0.1", &port, &closed]),
        )
        .await;
        assert_success(&format!("exceptions.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_from_python_matches_cpython() {
    if !python::available() {
        return;
    }
    let pki = portable_streams_tests::pki::Pki::new();
    let mut server = std::process::Command::new(portable_streams_tests::tools::python())
        .arg(portable_streams_tests::build::workspace_root().join("tests/tls_peer.py"))
        .arg("server")
        .arg(pki.file("chain.pem"))
        .arg(pki.file("key.pem"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start CPython's TLS server");
    let mut line = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().to_owned();
    let expected = printed_by_cpython("tests/python/tls_client", &[&port, &pki.ca_pem]).await;
    assert_eq!(
        expected.last().map(String::as_str),
        Some("untrusted: SSLError")
    );
    for &backend in BACKENDS {
        let out = run(
            "python:tests/python/tls_client",
            backend,
            loopback(),
            &args(&["tls_client.py", &port, &pki.ca_pem]),
        )
        .await;
        assert_success(&format!("tls_client.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn the_build_command_refuses_bad_input_in_one_line() {
    if !python::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.py");
    std::fs::write(&broken, "def main(:\n").unwrap();
    let root = portable_streams_tests::build::workspace_root();
    for (app, reason) in [
        (dir.path().join("missing.py"), "cannot read"),
        (broken, "is not valid Python"),
    ] {
        let out = std::process::Command::new(portable_streams_tests::tools::python())
            .args(["-m", "portable_streams", "build"])
            .arg(&app)
            .args(["-o", dir.path().join("out.wasm").to_str().unwrap()])
            .env("PYTHONPATH", root.join("python"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(reason),
            "{stderr}"
        );
        assert!(!dir.path().join("out.wasm").exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_sockets_from_python_match_cpython_on_the_host_backend() {
    if !python::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpython.sock");
    let expected = python::cpython("tests/python/unix_echo")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        expected.status.success(),
        "{}",
        String::from_utf8_lossy(&expected.stderr)
    );
    let expected = lines(&expected.stdout);
    assert_eq!(expected.last().map(String::as_str), Some("done"));
    let path = dir.path().join("component.sock");
    let policy = Policy::deny_all().allow_unix(dir.path()).unwrap();
    let path = path.to_str().unwrap();
    let out = run(
        "python:tests/python/unix_echo",
        Backend::Native,
        policy.clone(),
        &args(&["unix_echo.py", path]),
    )
    .await;
    assert_success("unix_echo.py on the host backend", &out);
    assert_eq!(lines(&out.stdout), expected);
    // wasi:sockets has no Unix sockets: asyncio's NotImplementedError.
    let out = run(
        "python:tests/python/unix_echo",
        Backend::Guest,
        policy,
        &args(&["unix_echo.py", path]),
    )
    .await;
    assert_eq!(out.exit_code, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NotImplementedError"), "{stderr}");
}

/// `tests/tls_peer.py starttls-client PORT CA` against a server on `port`.
fn starttls_client(port: u16, pki: &portable_streams_tests::pki::Pki) {
    let out = std::process::Command::new(portable_streams_tests::tools::python())
        .arg(portable_streams_tests::build::workspace_root().join("tests/tls_peer.py"))
        .arg("starttls-client")
        .arg(port.to_string())
        .arg(pki.file("ca.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CPython's STARTTLS client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_tls_on_an_accepted_connection_matches_cpython() {
    if !python::available() {
        return;
    }
    let pki = portable_streams_tests::pki::Pki::new();
    let mut reference = python::cpython("tests/python/starttls_server")
        .args([&pki.chain_pem, &pki.key_pem])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(reference.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = port_of_serving_line(first.trim()).expect("a port");
    tokio::task::block_in_place(|| starttls_client(port, &pki));
    let expected = server_output(first.trim(), reference.wait_with_output().unwrap());
    for &backend in BACKENDS {
        let server = server::start(
            "python:tests/python/starttls_server",
            backend,
            loopback(),
            &["starttls_server.py", &pki.chain_pem, &pki.key_pem],
        )
        .await;
        tokio::task::block_in_place(|| starttls_client(server.port, &pki));
        let (outcome, output) = finish(server).await;
        assert_eq!(outcome.exit_code, 0, "{backend:?}: {output:?}");
        assert_eq!(without_ports(&output), expected, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn transports_and_protocols_match_cpython() {
    // The loop's own networking, driven with protocols: connection_made,
    // data, eof_received keeping a half-closed connection open,
    // pause_writing and resume_writing around a paused reader, a peer's
    // data and close arriving while reading is paused (they wait for
    // resume_reading, then come in order), abort.
    if !python::available() {
        return;
    }
    let expected = printed_by_cpython("tests/python/protocols", &["127.0.0.1"]).await;
    assert_eq!(expected.last().map(String::as_str), Some("done"));
    for &backend in BACKENDS {
        let out = run(
            "python:tests/python/protocols",
            backend,
            loopback(),
            &args(&["protocols.py", "127.0.0.1"]),
        )
        .await;
        assert_success(&format!("protocols.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_resolve_through_getaddrinfo_as_in_cpython() {
    // A name the loop does not answer itself goes to the resolver (the
    // sandbox's name lookup), as libraries that resolve before connecting
    // need; then connections to what it found and to the name.
    if !python::available() {
        return;
    }
    // CPython's run, then two connections per backend.
    let peer = portable_streams_tests::peers::echo_connections(6).await;
    same_as_cpython("tests/python/names", &[&peer.addr.port().to_string()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_made_errors_are_reported_and_connections_go_on_as_in_cpython() {
    // A protocol's connection_made that raises: reported through the
    // loop's exception handler, the connection read from, the server
    // still accepting, create_connection still returning.
    if !python::available() {
        return;
    }
    let expected = same_as_cpython("tests/python/callback_errors", &[]).await;
    assert_eq!(expected.len(), 5, "{expected:?}");
}

/// asyncio's `Server.close()` frees the port at once: a server restarted
/// on it right after, three times, serves, on both backends as in CPython.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_server_frees_its_port_at_once() {
    if !python::available() {
        return;
    }
    let printed = same_as_cpython("tests/python/server_restart", &[]).await;
    assert_eq!(
        printed,
        [
            "restarted 0 on the same port",
            "restarted 1 on the same port",
            "restarted 2 on the same port",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_over_memory_matches_cpython() {
    // ssl.MemoryBIO and SSLContext.wrap_bio's SSLObject, as libraries that
    // run TLS over streams of their own use them (anyio, hence httpx):
    // a handshake moved by hand, ALPN, data both ways, the closing
    // handshake, an EOF without close_notify, a name that does not verify.
    if !python::available() {
        return;
    }
    let pki = portable_streams_tests::pki::Pki::new();
    let expected = same_as_cpython(
        "tests/python/memory_tls",
        &[&pki.ca_pem, &pki.chain_pem, &pki.key_pem],
    )
    .await;
    assert!(
        expected.contains(&"big: 300000 True".to_owned()),
        "{expected:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn peer_certificates_decode_as_cpythons() {
    // getpeercert()'s dict comes from the package's own DER reader (pure
    // Python, the same inside a component; tls_client.py and memory_tls.py
    // use it there): CPython checks it against OpenSSL's decoding, field for
    // field and in order, on certifi's roots and on a certificate with
    // every kind of field the dict shows (string types, a UTF-8 name,
    // every alternative name kind rcgen makes, CRL distribution points,
    // UTCTime and GeneralizedTime).
    if !python::available() {
        return;
    }
    use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString};
    use rcgen::{CertificateParams, CrlDistributionPoint, DnType, DnValue, KeyPair, SanType};
    let ia5 = |s: &str| Ia5String::try_from(s).unwrap();
    let mut params = CertificateParams::default();
    let name = &mut params.distinguished_name;
    name.push(
        DnType::CountryName,
        DnValue::PrintableString(PrintableString::try_from("DE").unwrap()),
    );
    name.push(DnType::LocalityName, "München");
    name.push(
        DnType::StateOrProvinceName,
        DnValue::BmpString(BmpString::try_from("Bayern").unwrap()),
    );
    name.push(
        DnType::OrganizationName,
        DnValue::TeletexString(TeletexString::try_from("Beispiel GmbH").unwrap()),
    );
    name.push(DnType::OrganizationalUnitName, "Netz");
    name.push(DnType::CommonName, "rich.example");
    params.subject_alt_names = vec![
        SanType::DnsName(ia5("rich.example")),
        SanType::DnsName(ia5("*.rich.example")),
        SanType::IpAddress("127.0.0.1".parse().unwrap()),
        SanType::IpAddress("2001:db8::a:1".parse().unwrap()),
        SanType::Rfc822Name(ia5("x@example.com")),
        SanType::URI(ia5("https://example.com/a")),
    ];
    params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![
            "http://crl.example.com/a.crl".into(),
            "http://crl2.example.com/b.crl".into(),
        ],
    }];
    params.not_before = rcgen::date_time_ymd(2026, 12, 7);
    params.not_after = rcgen::date_time_ymd(2081, 9, 9);
    let certificate = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rich = dir.path().join("rich.pem");
    std::fs::write(&rich, certificate.pem()).unwrap();
    let pki = portable_streams_tests::pki::Pki::new();
    let package = portable_streams_tests::build::workspace_root().join("python/portable_streams");
    let out = python::cpython("tests/python/x509_decode")
        .arg(&package)
        .arg(&rich)
        .arg(pki.file("chain.pem"))
        .arg(pki.file("ca.pem"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        lines(&out.stdout),
        [
            "certifi: True differ: 0",
            "rich.pem: 1 differ: 0 True",
            "chain.pem: 1 differ: 0 True",
            "ca.pem: 1 differ: 0 True",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_over_memory_serves_openssl_as_cpython_does() {
    // The server side of wrap_bio against OpenSSL's client, the same
    // program under CPython (OpenSSL both ends) and as a component; the
    // client saw the same on each.
    if !python::available() {
        return;
    }
    let pki = portable_streams_tests::pki::Pki::new();
    let name = "tests/python/memory_tls_server";
    // Built first: each peer waits for its connection a bounded time.
    tokio::task::block_in_place(|| python::component(name));
    let peer = ReverseClient::start(&pki.file("ca.pem"));
    let port = peer.port.to_string();
    let expected = printed_by_cpython(name, &[&port, &pki.chain_pem, &pki.key_pem]).await;
    let client_saw = peer.saw();
    assert_eq!(
        client_saw,
        "TLSv1.3 echo/1: 1048582 of 1048582 bytes echoed, unchanged, close_notify both ways, then EOF"
    );
    assert_eq!(
        expected.last().map(String::as_str),
        Some("unwrapped, nothing left to send: True"),
        "{expected:?}"
    );
    for &backend in BACKENDS {
        let peer = ReverseClient::start(&pki.file("ca.pem"));
        let port = peer.port.to_string();
        let out = run(
            &format!("python:{name}"),
            backend,
            loopback(),
            &args(&["memory_tls_server.py", &port, &pki.chain_pem, &pki.key_pem]),
        )
        .await;
        assert_success(&format!("memory_tls_server.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
        assert_eq!(peer.saw(), client_saw, "{backend:?}");
    }
}
