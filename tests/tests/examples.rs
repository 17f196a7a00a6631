//! Every example runs end to end, on each backend where it applies, and the
//! echo examples interoperate with CPython's asyncio.

use std::process::Stdio;
use std::time::Duration;

use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, RunOutcome};
use portable_streams_tests::pki::Pki;
use portable_streams_tests::{args, assert_success, lines, loopback, python3, run, server};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The backends every example runs on.
const BACKENDS: &[Backend] = &[Backend::Guest, Backend::Native];

async fn echo_pair(server_backend: Backend, client_backend: Backend) {
    let server = server::start(
        "tcp-echo-server",
        server_backend,
        loopback(),
        &["tcp-echo-server", "127.0.0.1", "0", "--max-clients", "1"],
    )
    .await;
    let port = server.port.to_string();
    let client = run(
        "tcp-echo-client",
        client_backend,
        loopback(),
        &args(&["tcp-echo-client", "127.0.0.1", &port, "Hello World!"]),
    )
    .await;
    assert_success("tcp-echo-client", &client);
    assert_eq!(
        lines(&client.stdout),
        [
            "Send: \"Hello World!\"",
            "Received: \"Hello World!\"",
            "Close the connection"
        ]
    );
    let outcome = server.finish().await;
    assert_eq!(outcome.exit_code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_guest_client_guest() {
    echo_pair(Backend::Guest, Backend::Guest).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_native_client_guest() {
    echo_pair(Backend::Native, Backend::Guest).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_guest_client_native() {
    echo_pair(Backend::Guest, Backend::Native).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_logs_what_it_echoes() {
    let server = server::start(
        "tcp-echo-server",
        Backend::Native,
        loopback(),
        &["tcp-echo-server", "127.0.0.1", "0", "--max-clients", "1"],
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"ping");
    let port = server.port;
    let lines_seen = server.output();
    server.finish().await;
    assert_eq!(lines_seen[0], format!("Serving on ('127.0.0.1', {port})"));
    assert!(
        lines_seen[1].starts_with("Received \"ping\" from ('127.0.0.1', "),
        "{lines_seen:?}"
    );
}

const PY_CLIENT: &str = r#"
import asyncio, sys
async def main(port):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'Hello from CPython')
    await writer.drain()
    data = await reader.read(100)
    print(f'Received: {data.decode()!r}')
    writer.close()
    await writer.wait_closed()
asyncio.run(main(int(sys.argv[1])))
"#;

const PY_SERVER: &str = r#"
import asyncio
async def handle(reader, writer):
    data = await reader.read(100)
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    server.close()
async def main():
    global server
    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            pass
asyncio.run(main())
"#;

#[tokio::test(flavor = "multi_thread")]
async fn echo_server_serves_a_cpython_asyncio_client() {
    let Some(python) = python3() else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    for &backend in BACKENDS {
        let server = server::start(
            "tcp-echo-server",
            backend,
            loopback(),
            &["tcp-echo-server", "127.0.0.1", "0", "--max-clients", "1"],
        )
        .await;
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::process::Command::new(&python)
                .args(["-c", PY_CLIENT, &server.port.to_string()])
                .output(),
        )
        .await
        .expect("python client timed out")
        .expect("run python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "Received: 'Hello from CPython'"
        );
        assert_eq!(server.finish().await.exit_code, 0, "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_client_talks_to_a_cpython_asyncio_server() {
    let Some(python) = python3() else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    for &backend in BACKENDS {
        let mut child = tokio::process::Command::new(&python)
            .args(["-c", PY_SERVER])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run python3");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut first))
            .await
            .expect("python server did not start")
            .unwrap();
        let port = first.trim().to_owned();
        let client = run(
            "tcp-echo-client",
            backend,
            loopback(),
            &args(&["tcp-echo-client", "127.0.0.1", &port, "Hello World!"]),
        )
        .await;
        assert_success("tcp-echo-client", &client);
        assert!(lines(&client.stdout).contains(&"Received: \"Hello World!\"".to_owned()));
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("python server did not stop")
            .unwrap();
        assert!(status.success(), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_headers_reads_a_local_server() {
    for &backend in BACKENDS {
        let (port, server) = portable_streams_tests::peers::http_once().await;
        let url = format!("http://127.0.0.1:{port}/index.html");
        let out = run(
            "http-headers",
            backend,
            loopback(),
            &args(&["http-headers", &url]),
        )
        .await;
        assert_success("http-headers", &out);
        assert_eq!(
            lines(&out.stdout),
            [
                "HTTP header> HTTP/1.0 200 OK",
                "HTTP header> Content-Type: text/plain",
                "HTTP header> X-Test: yes"
            ]
        );
        let request = server.await.unwrap();
        assert_eq!(
            request,
            "HEAD /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        );
    }
}

/// Runs `http-headers` on `backend` against CPython's `http.server` over
/// TLS (one request), for `path`, with `extra` arguments after the URL;
/// the server is stopped after the run.
async fn http_headers_over_https(
    pki: &Pki,
    backend: Backend,
    path: &str,
    extra: &[&str],
) -> Option<RunOutcome> {
    let (mut child, port) = https_server(pki)?;
    let url = format!("https://127.0.0.1:{port}{path}");
    let argv: Vec<&str> = ["http-headers", url.as_str()]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let out = run("http-headers", backend, loopback(), &args(&argv)).await;
    let _ = child.kill();
    let _ = child.wait();
    Some(out)
}

/// CPython's `http.server` over TLS with a throwaway CA (from
/// `tests/tls_peer.py https-server`), and its port.
fn https_server(pki: &Pki) -> Option<(std::process::Child, u16)> {
    use std::io::BufRead;
    let python = python3()?;
    let mut child = std::process::Command::new(python)
        .arg(portable_streams_tests::build::workspace_root().join("tests/tls_peer.py"))
        .arg("https-server")
        .arg(pki.file("chain.pem"))
        .arg(pki.file("key.pem"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the CPython HTTPS server");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Some((child, line.trim().parse().expect("a port")))
}

#[tokio::test(flavor = "multi_thread")]
async fn http_headers_reads_an_https_server() {
    let pki = Pki::new();
    for &backend in BACKENDS {
        let Some(out) = http_headers_over_https(&pki, backend, "/index.html", &[&pki.ca_pem]).await
        else {
            return;
        };
        assert_success(&format!("http-headers over TLS on {backend:?}"), &out);
        let headers = lines(&out.stdout);
        assert_eq!(
            headers.first().map(String::as_str),
            Some("HTTP header> HTTP/1.0 200 OK"),
            "{backend:?}"
        );
        assert!(
            headers.iter().any(|l| l == "HTTP header> X-Test: yes"),
            "{backend:?}: {headers:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_headers_over_https_without_the_root_names_the_cause() {
    let pki = Pki::new();
    for &backend in BACKENDS {
        let Some(out) = http_headers_over_https(&pki, backend, "/", &[]).await else {
            return;
        };
        assert_eq!(out.exit_code, 1, "{backend:?}");
        let stderr = lines(&out.stderr).join("\n");
        assert!(
            stderr.contains("certificate verify failed: UnknownIssuer"),
            "{backend:?}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_data_receives_later_data() {
    for &backend in BACKENDS {
        let out = run(
            "wait-for-data",
            backend,
            Policy::deny_all(),
            &args(&["wait-for-data"]),
        )
        .await;
        assert_success("wait-for-data", &out);
        assert_eq!(lines(&out.stdout), ["Received: abc"], "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_echo_on_the_host_backend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let path = path.to_str().unwrap();
    let policy = Policy::deny_all().allow_unix(dir.path()).unwrap();
    let out = run(
        "unix-echo",
        Backend::Native,
        policy,
        &args(&["unix-echo", path, "hi"]),
    )
    .await;
    assert_success("unix-echo", &out);
    assert_eq!(
        lines(&out.stdout),
        [
            format!("[server] Serving on {path}"),
            "[client] Send: \"hi\"".to_owned(),
            "[server] Received \"hi\\n\"".to_owned(),
            "[client] Received: \"hi\\n\"".to_owned(),
        ]
    );
    assert!(
        !std::path::Path::new(path).exists(),
        "socket file removed on close"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_echo_on_the_guest_backend_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let out = run(
        "unix-echo",
        Backend::Guest,
        Policy::allow_all(),
        &args(&["unix-echo", path.to_str().unwrap()]),
    )
    .await;
    assert_eq!(out.exit_code, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: unsupported: "), "{stderr}");
    assert!(stderr.contains("host backend"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_echo_server_and_client_across_backends() {
    // Each backend as the server and as the client, against the other.
    for (server_backend, client_backend) in [
        (Backend::Guest, Backend::Native),
        (Backend::Native, Backend::Guest),
    ] {
        tls_echo_pair(server_backend, client_backend).await;
    }
}

async fn tls_echo_pair(server_backend: Backend, client_backend: Backend) {
    let pki = Pki::new();
    let server = server::start(
        "tls-echo",
        server_backend,
        loopback(),
        &[
            "tls-echo",
            "server",
            "127.0.0.1",
            "0",
            &pki.chain_pem,
            &pki.key_pem,
            "--max-clients",
            "1",
        ],
    )
    .await;
    let port = server.port.to_string();
    let client = run(
        "tls-echo",
        client_backend,
        loopback(),
        &args(&[
            "tls-echo",
            "client",
            "127.0.0.1",
            &port,
            &pki.ca_pem,
            "Hi TLS",
        ]),
    )
    .await;
    assert_success("tls-echo client", &client);
    let out = lines(&client.stdout);
    assert!(out[0].starts_with("TLS: TLSv1.3 TLS13_"), "{out:?}");
    assert_eq!(
        out[1..],
        [
            "Send: \"Hi TLS\"",
            "Received: \"Hi TLS\"",
            "Close the connection"
        ]
    );
    let outcome = server.finish().await;
    assert_eq!(outcome.exit_code, 0);
}
