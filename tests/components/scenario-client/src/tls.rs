//! TLS scenarios: `scenario-client tls-... HOST PORT PEM...`, against
//! CPython `ssl` peers the tests start (a throwaway CA; its root, or the
//! server's chain and key, passed as PEM arguments).

use futures::future::join;
use portable_streams::bindings::portable::streams::streams::{
    ClientTlsOptions, ConnectOptions, Error, Reader, Server, ServerOptions, ServerTlsOptions,
    TlsSide, Writer, open_connection, start_server,
};

use crate::{Outcome, check, options, serve_echo, server_options};

/// Runs `scenario` if it is a TLS one.
pub async fn run(scenario: &str, host: &str, port: u16, pems: &[String]) -> Option<Outcome> {
    let pem = |i: usize| pems.get(i).cloned().unwrap_or_default();
    Some(match scenario {
        "tls-echo" => echo(host, port, pem(0)).await,
        "tls-untrusted" => refused(host, port, tls(None, vec![]), "UnknownIssuer").await,
        "tls-wrong-name" => {
            let options = tls(Some("wrong.example".into()), vec![pem(0)]);
            refused(host, port, options, "NotValidForName").await
        }
        "tls-bad-pem" => {
            let options = tls(None, vec!["not a certificate".into()]);
            refused(host, port, options, "no PEM certificate").await
        }
        "tls-abrupt" => abrupt(host, port, pem(0)).await,
        "tls-serve" => serve(host, port, pem(0), pem(1)).await,
        "tls-starttls-client" => starttls_client(host, port, pem(0)).await,
        "tls-starttls-reading" => starttls_reading(host, port, pem(0)).await,
        "tls-starttls-writing" => starttls_writing(host, port, pem(0)).await,
        "tls-starttls-server" => starttls_server(host, port, pem(0), pem(1)).await,
        "tls-handshake-timeout" => handshake_timeout(host).await,
        "tls-expired" => expired(host, pem(0), pem(1), pem(2)).await,
        "tls-shutdown-timeout" => shutdown_timeout(host, pem(0), pem(1), pem(2)).await,
        "starttls-after-write-eof" => starttls_after_write_eof(host, port).await,
        "tls-reset-mid-handshake" => reset_mid_handshake(host, port).await,
        _ => return None,
    })
}

/// The ALPN protocol every TLS peer of these tests speaks.
const ALPN: &str = "echo/1";

fn client_tls(server_name: Option<String>, roots: Vec<String>) -> ClientTlsOptions {
    ClientTlsOptions {
        server_name,
        extra_root_certificates: roots,
        handshake_timeout: Some(10_000_000_000),
        shutdown_timeout: None,
        alpn_protocols: vec!["other/2".into(), ALPN.into()],
    }
}

fn server_tls(chain: String, key: String) -> ServerTlsOptions {
    ServerTlsOptions {
        certificate_chain: chain,
        private_key: key,
        handshake_timeout: Some(10_000_000_000),
        shutdown_timeout: None,
        alpn_protocols: vec![ALPN.into()],
    }
}

fn tls(server_name: Option<String>, roots: Vec<String>) -> ConnectOptions {
    ConnectOptions {
        tls: Some(client_tls(server_name, roots)),
        ..options(None)
    }
}

async fn connect(host: &str, port: u16, root: String) -> Result<(Reader, Writer), String> {
    open_connection(host.to_owned(), port, tls(None, vec![root]))
        .await
        .map_err(|e| format!("TLS connect: {e:?}"))
}

/// Echo through CPython's TLS server: one line, then 4 MiB of lines that
/// cross TLS records in both directions; `ssl_object` details; no
/// `write_eof`; a clean close.
async fn echo(host: &str, port: u16, root: String) -> Outcome {
    let (reader, writer) = connect(host, port, root).await?;
    writer.write(b"hello\n").map_err(|e| format!("{e:?}"))?;
    let line = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(line == b"hello\n", || format!("echo: {line:?}"))?;
    let info = writer.get_extra_info();
    let tls = info.tls.ok_or("no TLS details in get_extra_info")?;
    check(tls.protocol_version == "TLSv1.3", || {
        format!("protocol {}", tls.protocol_version)
    })?;
    check(
        !tls.cipher.is_empty() && !tls.peer_certificates.is_empty(),
        || {
            format!(
                "cipher {:?}, {} certificates",
                tls.cipher,
                tls.peer_certificates.len()
            )
        },
    )?;
    check(tls.alpn_protocol.as_deref() == Some(ALPN), || {
        format!("ALPN {:?}", tls.alpn_protocol)
    })?;
    check(!writer.can_write_eof(), || "can_write_eof on TLS".into())?;
    match writer.write_eof() {
        Err(Error::Unsupported(_)) => {}
        other => return Err(format!("write_eof on TLS: {other:?}")),
    }
    let line: Vec<u8> = (0..999u32)
        .map(|i| b'a' + (i % 26) as u8)
        .chain([b'\n'])
        .collect();
    let lines = 4 * 1024 * 1024 / line.len();
    let send = async {
        for _ in 0..lines {
            writer.write(&line).map_err(|e| format!("write: {e:?}"))?;
            writer.drain().await.map_err(|e| format!("drain: {e:?}"))?;
        }
        Ok::<(), String>(())
    };
    let receive = async {
        for i in 0..lines {
            let got = reader
                .readline()
                .await
                .map_err(|e| format!("line {i}: {e:?}"))?;
            check(got == line, || {
                format!("line {i} came back as {} bytes", got.len())
            })?;
        }
        Ok::<(), String>(())
    };
    let (sent, received) = join(send, receive).await;
    sent?;
    received?;
    crate::close_cleanly(&writer).await
}

/// A connect whose handshake must fail with `tls` naming `cause`.
async fn refused(host: &str, port: u16, options: ConnectOptions, cause: &str) -> Outcome {
    match open_connection(host.to_owned(), port, options).await {
        Err(Error::Tls(m)) if m.contains(cause) => Ok(()),
        other => Err(format!(
            "expected a tls error naming {cause}: {:?}",
            other.map(|_| ())
        )),
    }
}

/// The peer answers one line, then closes without `close_notify`: the
/// next read is EOF, as CPython's default (`suppress_ragged_eofs`).
async fn abrupt(host: &str, port: u16, root: String) -> Outcome {
    let (reader, writer) = connect(host, port, root).await?;
    writer.write(b"once\n").map_err(|e| format!("{e:?}"))?;
    let line = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(line == b"once\n", || format!("echo: {line:?}"))?;
    match reader.read(100).await {
        Ok(rest) if rest.is_empty() => Ok(()),
        other => Err(format!("after an abrupt close: {other:?}")),
    }
}

/// A server that never answers the ClientHello: the handshake ends at
/// `handshake-timeout` with asyncio's `TimeoutError` message.
async fn handshake_timeout(host: &str) -> Outcome {
    let (_silent, port) = crate::listen(host, None).await?;
    let mut options = tls(Some("localhost".into()), vec![]);
    if let Some(tls) = options.tls.as_mut() {
        tls.handshake_timeout = Some(200_000_000);
    }
    match open_connection(host.to_owned(), port, options).await {
        Err(Error::Timeout(m)) if m.contains("SSL handshake is taking longer than 0.2 seconds") => {
            Ok(())
        }
        other => Err(format!(
            "expected the handshake timeout: {:?}",
            other.map(|_| ())
        )),
    }
}

/// This component's own TLS server with an expired certificate (from a
/// CA the client trusts): the client refuses it, naming the cause.
async fn expired(host: &str, root: String, chain: String, key: String) -> Outcome {
    let mut options = server_options(None);
    options.tls = Some(server_tls(chain, key));
    let server = start_server(vec![host.to_owned()], 0, options)
        .await
        .map_err(|e| format!("start_server: {e:?}"))?;
    let port = crate::port_of(&server)?;
    // The server takes (and shakes hands with) clients only while an
    // accept waits; it fails the handshake, so the accept ends at close.
    let client = async {
        let outcome = refused(host, port, tls(None, vec![root]), "Expired").await;
        server.close();
        outcome
    };
    let (outcome, accepted) = join(client, server.accept()).await;
    check(accepted.is_err(), || "the expired server accepted".into())?;
    outcome
}

/// `ssl_shutdown_timeout`, given to a server and to a client: closing a
/// TLS connection whose peer stops reading ends once it passed, with
/// asyncio's `TimeoutError('SSL shutdown timed out')` from `wait_closed`
/// and `drain`, not after the 30 s default.
async fn shutdown_timeout(host: &str, root: String, chain: String, key: String) -> Outcome {
    const TIMEOUT: u64 = 300_000_000;
    let mut options = server_options(None);
    let mut server_side = server_tls(chain, key);
    server_side.shutdown_timeout = Some(TIMEOUT);
    options.tls = Some(server_side);
    let server = start_server(vec![host.to_owned()], 0, options)
        .await
        .map_err(|e| format!("start_server: {e:?}"))?;
    let port = crate::port_of(&server)?;

    // The server's connection, to a client that does not read.
    let (client, accepted) = join(connect(host, port, root.clone()), server.accept()).await;
    let _idle_client = client?;
    let (_, writer) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    closes_after_the_timeout(&writer, "the server's connection").await?;

    // A client's own, to the server's connection that does not read.
    let mut options = tls(None, vec![root]);
    if let Some(client_side) = options.tls.as_mut() {
        client_side.shutdown_timeout = Some(TIMEOUT);
    }
    let client = open_connection(host.to_owned(), port, options);
    let (client, accepted) = join(client, server.accept()).await;
    let _idle_server_side = accepted.map_err(|e| format!("accept: {e:?}"))?;
    let (_, writer) = client.map_err(|e| format!("TLS connect: {e:?}"))?;
    closes_after_the_timeout(&writer, "a client's connection").await?;
    server.close();
    Ok(())
}

/// Writes more than loopback buffers hold to a peer that does not read,
/// closes, and checks that closing ended with the shutdown timeout.
async fn closes_after_the_timeout(writer: &Writer, what: &str) -> Outcome {
    writer
        .write(&vec![b'x'; 16 << 20])
        .map_err(|e| format!("{what}: write: {e:?}"))?;
    let started = std::time::Instant::now();
    writer.close();
    let closed = writer.wait_closed().await;
    let took = started.elapsed();
    let timed_out = |r: &Result<(), Error>| matches!(r, Err(Error::Timeout(m)) if m == "SSL shutdown timed out");
    check(timed_out(&closed), || {
        format!("{what}: wait_closed after the shutdown timeout: {closed:?}")
    })?;
    check(took < std::time::Duration::from_secs(10), || {
        format!("{what}: closing took {took:?}: the 0.3 s shutdown timeout was not honoured")
    })?;
    let drained = writer.drain().await;
    check(timed_out(&drained), || {
        format!("{what}: drain after the shutdown timeout: {drained:?}")
    })
}

/// A TLS server on `host:port`: a client that fails its handshake does not
/// disturb it; the next client (CPython, trusting the CA) is echoed.
async fn serve(host: &str, port: u16, chain: String, key: String) -> Outcome {
    let mut options = server_options(None);
    options.tls = Some(server_tls(chain, key));
    let (server, reader, writer) = first_client(host, port, options).await?;
    let tls = writer.get_extra_info().tls.ok_or("no TLS details")?;
    check(tls.peer_certificates.is_empty(), || {
        "a client certificate?".into()
    })?;
    check(tls.alpn_protocol.as_deref() == Some(ALPN), || {
        format!("ALPN {:?}", tls.alpn_protocol)
    })?;
    serve_echo(reader, writer).await;
    server.close();
    server.wait_closed().await;
    Ok(())
}

/// A peer that resets the connection during the handshake: the socket's
/// error keeps its case (`connection-reset`) on both backends; only a peer
/// that closes is the handshake's `tls` failure.
async fn reset_mid_handshake(host: &str, port: u16) -> Outcome {
    match open_connection(host.to_owned(), port, tls(None, vec![])).await {
        Err(Error::ConnectionReset(_)) => Ok(()),
        other => Err(format!("a reset mid-handshake: {:?}", other.map(|_| ()))),
    }
}

/// `start_tls` after `write_eof` has no write half to upgrade: `closed`,
/// and the connection is not lost by it (the reader still gets the peer's
/// answer and EOF), where a handshake over the shut write half would fail
/// and lose it.
async fn starttls_after_write_eof(host: &str, port: u16) -> Outcome {
    let (reader, writer) = crate::connect(host, port).await?;
    crate::write_then_eof(&writer, b"request body")?;
    match writer
        .start_tls(TlsSide::Client(client_tls(None, vec![])))
        .await
    {
        Err(Error::Closed(m)) if m.contains("both directions") => {}
        other => return Err(format!("start_tls after write_eof: {other:?}")),
    }
    crate::expect_bytes("reply", reader.readline().await, b"got 12 bytes\n")?;
    crate::expect_bytes("EOF", reader.read(-1).await, b"")
}

/// CPython's `test_start_tls`, client side: plain "STARTTLS", then the
/// server's "GO" and "EXTRA" in one write; `start_tls` keeps "EXTRA" in
/// the reader, and a line goes both ways over TLS.
async fn starttls_client(host: &str, port: u16, root: String) -> Outcome {
    let (reader, writer) = open_connection(host.to_owned(), port, options(None))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    check(writer.get_extra_info().tls.is_none(), || {
        "TLS before start_tls".into()
    })?;
    writer.write(b"STARTTLS\n").map_err(|e| format!("{e:?}"))?;
    let go = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(go == b"GO\n", || format!("before start_tls: {go:?}"))?;
    let side = TlsSide::Client(client_tls(Some("localhost".into()), vec![root]));
    writer
        .start_tls(side)
        .await
        .map_err(|e| format!("start_tls: {e:?}"))?;
    let extra = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(extra == b"EXTRA\n", || {
        format!("buffered before start_tls: {extra:?}")
    })?;
    let tls = writer
        .get_extra_info()
        .tls
        .ok_or("no TLS details after start_tls")?;
    check(tls.alpn_protocol.as_deref() == Some(ALPN), || {
        format!("ALPN {:?}", tls.alpn_protocol)
    })?;
    check(!writer.can_write_eof(), || {
        "can_write_eof after start_tls".into()
    })?;
    match writer
        .start_tls(TlsSide::Client(client_tls(None, vec![])))
        .await
    {
        Err(Error::InvalidArgument(_)) => {}
        other => return Err(format!("a second start_tls: {other:?}")),
    }
    writer.write(b"secret\n").map_err(|e| format!("{e:?}"))?;
    let echo = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(echo == b"secret\n", || format!("over TLS: {echo:?}"))?;
    crate::close_cleanly(&writer).await
}

/// `start_tls` while a `readline` waits, as asyncio allows: the read is
/// not disturbed and gets the first line that arrives over TLS.
async fn starttls_reading(host: &str, port: u16, root: String) -> Outcome {
    let (reader, writer) = crate::connect(host, port).await?;
    writer.write(b"STARTTLS\n").map_err(|e| format!("{e:?}"))?;
    for want in [&b"GO\n"[..], b"EXTRA\n"] {
        crate::expect_bytes("before start_tls", reader.readline().await, want)?;
    }
    let upgrade = async {
        let side = TlsSide::Client(client_tls(Some("localhost".into()), vec![root]));
        writer.start_tls(side).await?;
        writer.write(b"secret\n")
    };
    let (line, upgraded) = join(reader.readline(), upgrade).await;
    upgraded.map_err(|e| format!("start_tls while reading: {e:?}"))?;
    crate::expect_bytes("the waiting read", line, b"secret\n")?;
    crate::close_cleanly(&writer).await
}

/// A write made while `start_tls` runs its handshake (the transport is
/// the upgrade's then) waits for it and goes over TLS, on both backends:
/// the pump waits while the upgrade holds the transport.
async fn starttls_writing(host: &str, port: u16, root: String) -> Outcome {
    let (reader, writer) = crate::connect(host, port).await?;
    writer.write(b"STARTTLS\n").map_err(|e| format!("{e:?}"))?;
    for want in [&b"GO\n"[..], b"EXTRA\n"] {
        crate::expect_bytes("before start_tls", reader.readline().await, want)?;
    }
    let side = TlsSide::Client(client_tls(Some("localhost".into()), vec![root]));
    // Polled first, the upgrade flushes, takes the transport and sends its
    // first flight before the write below is made.
    let (upgraded, written) =
        join(writer.start_tls(side), async { writer.write(b"secret\n") }).await;
    upgraded.map_err(|e| format!("start_tls with a write meanwhile: {e:?}"))?;
    written.map_err(|e| format!("the write during start_tls: {e:?}"))?;
    crate::expect_bytes("the echo over TLS", reader.readline().await, b"secret\n")?;
    crate::close_cleanly(&writer).await
}

/// The server side: a plain client asks "STARTTLS", hears "GO", and both
/// upgrade; then a line is echoed over TLS.
async fn starttls_server(host: &str, port: u16, chain: String, key: String) -> Outcome {
    let (server, reader, writer) = first_client(host, port, server_options(None)).await?;
    let ask = reader.readline().await.map_err(|e| format!("{e:?}"))?;
    check(ask == b"STARTTLS\n", || format!("asked {ask:?}"))?;
    writer.write(b"GO\n").map_err(|e| format!("{e:?}"))?;
    writer
        .start_tls(TlsSide::Server(server_tls(chain, key)))
        .await
        .map_err(|e| format!("start_tls: {e:?}"))?;
    check(writer.get_extra_info().tls.is_some(), || {
        "no TLS details".into()
    })?;
    serve_echo(reader, writer).await;
    server.close();
    server.wait_closed().await;
    Ok(())
}

/// A server on `host:port` with `options`, and its first client.
async fn first_client(
    host: &str,
    port: u16,
    options: ServerOptions,
) -> Result<(Server, Reader, Writer), String> {
    let server = start_server(vec![host.to_owned()], port, options)
        .await
        .map_err(|e| format!("start_server: {e:?}"))?;
    let (reader, writer) = server
        .accept()
        .await
        .map_err(|e| format!("accept: {e:?}"))?;
    Ok((server, reader, writer))
}
