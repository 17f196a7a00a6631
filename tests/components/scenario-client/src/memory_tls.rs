//! TLS over memory against CPython's TLS peers:
//! `scenario-client tls-memory-echo HOST PORT CA_PEM` (the component is the
//! TLS client of CPython's echo server) and `scenario-client
//! tls-memory-serve HOST PORT CHAIN_PEM KEY_PEM` (the TLS server of
//! CPython's client, over a connection the component opened). The SDK's
//! `MemoryTls` runs the TLS; the component moves its ciphertext over a
//! plain connection itself.

use portable_streams::bindings::portable::streams::streams::{Reader, Writer, open_connection};
use portable_streams::{ClientTls, Error, MemoryTls, ServerTls, TlsInfo};

use crate::{Outcome, check, options};

/// Runs `scenario` if it is this file's.
pub async fn run(scenario: &str, host: &str, port: u16, pems: &[String]) -> Option<Outcome> {
    match scenario {
        "tls-memory-echo" => {
            Some(echo(host, port, pems.first().cloned().unwrap_or_default()).await)
        }
        "tls-memory-wrong-name" => {
            Some(wrong_name(host, port, pems.first().cloned().unwrap_or_default()).await)
        }
        "tls-memory-serve" => match pems {
            [chain, key] => Some(serve(host, port, chain.clone(), key.clone()).await),
            _ => Some(Err("tls-memory-serve needs CHAIN_PEM KEY_PEM".into())),
        },
        _ => None,
    }
}

fn text(error: Error) -> String {
    format!("{error:?}")
}

/// One TLS session over one plain connection.
struct Over {
    tls: MemoryTls,
    reader: Reader,
    writer: Writer,
    /// Plaintext received and not consumed yet.
    plaintext: Vec<u8>,
    peer_closed: bool,
}

impl Over {
    async fn open(host: &str, port: u16, tls: MemoryTls) -> Result<Self, String> {
        let (reader, writer) = open_connection(host.to_owned(), port, options(None))
            .await
            .map_err(|e| format!("connect: {e:?}"))?;
        Ok(Self {
            tls,
            reader,
            writer,
            plaintext: Vec::new(),
            peer_closed: false,
        })
    }

    /// Sends what the session has to send.
    async fn flush(&self) -> Outcome {
        let out = self.tls.take_outgoing();
        if !out.is_empty() {
            self.writer
                .write(&out)
                .map_err(|e| format!("write: {e:?}"))?;
            self.writer
                .drain()
                .await
                .map_err(|e| format!("drain: {e:?}"))?;
        }
        Ok(())
    }

    /// Flushes, then takes in one read's ciphertext; false at EOF.
    async fn step(&mut self) -> Result<bool, String> {
        self.flush().await?;
        let data = self
            .reader
            .read(64 * 1024)
            .await
            .map_err(|e| format!("read: {e:?}"))?;
        if data.is_empty() {
            return Ok(false);
        }
        let received = self.tls.receive(&data).map_err(text)?;
        self.plaintext.extend(received.plaintext);
        self.peer_closed |= received.peer_closed;
        Ok(true)
    }

    async fn handshake(&mut self) -> Outcome {
        while self.tls.is_handshaking() {
            check(self.step().await?, || "EOF under the handshake".into())?;
        }
        self.flush().await
    }

    /// The handshake, then its details, which must be TLS 1.3 with the
    /// ALPN protocol "echo/1".
    async fn handshake_echo_1(&mut self) -> Result<TlsInfo, String> {
        self.handshake().await?;
        let info = self.tls.info().ok_or("no details after the handshake")?;
        check(info.protocol_version == "TLSv1.3", || format!("{info:?}"))?;
        check(info.alpn_protocol.as_deref() == Some("echo/1"), || {
            format!("{info:?}")
        })?;
        Ok(info)
    }

    /// Reads until `n` bytes of plaintext came; takes them.
    async fn take(&mut self, n: usize) -> Result<Vec<u8>, String> {
        while self.plaintext.len() < n {
            check(self.step().await?, || {
                format!("EOF after {} of {n} bytes", self.plaintext.len())
            })?;
        }
        Ok(self.plaintext.drain(..n).collect())
    }
}

/// A handshake, details, a line and 1 MiB of lines echoed, a clean close
/// (`close_notify` both ways).
async fn echo(host: &str, port: u16, root: String) -> Outcome {
    let tls = ClientTls::new()
        .server_name("localhost")
        .add_root_certificate(root)
        .alpn_protocols(["echo/1"]);
    let mut over = Over::open(host, port, MemoryTls::client(tls).map_err(text)?).await?;
    check(over.tls.info().is_none(), || {
        "details before the handshake".into()
    })?;
    let info = over.handshake_echo_1().await?;
    check(!info.peer_certificates.is_empty(), || {
        "no peer certificate".into()
    })?;
    over.tls.write(b"hello\n").map_err(text)?;
    let line = over.take(6).await?;
    check(line == b"hello\n", || format!("echo: {line:?}"))?;
    let line: Vec<u8> = (0..1023u32)
        .map(|i| b'a' + (i % 26) as u8)
        .chain([b'\n'])
        .collect();
    for _ in 0..1024 {
        over.tls.write(&line).map_err(text)?;
    }
    let echoed = over.take(1024 * line.len()).await?;
    check(echoed.chunks(line.len()).all(|l| l == line), || {
        "1 MiB came back changed".into()
    })?;
    over.tls.close();
    while !over.peer_closed {
        check(over.step().await?, || {
            "EOF before the peer's close_notify".into()
        })?;
    }
    check(over.plaintext.is_empty(), || "bytes after the echo".into())?;
    match over.tls.write(b"late") {
        Err(Error::Closed(_)) => {}
        other => return Err(format!("write after close: {other:?}")),
    }
    over.writer.close();
    Ok(())
}

/// A name the certificate does not carry: `tls` naming the cause, and
/// the alert for the peer waiting to be sent.
async fn wrong_name(host: &str, port: u16, root: String) -> Outcome {
    let tls = ClientTls::new()
        .server_name("wrong.example")
        .add_root_certificate(root);
    let mut over = Over::open(host, port, MemoryTls::client(tls).map_err(text)?).await?;
    match over.handshake().await {
        Err(e) if e.contains("NotValidForName") => {}
        other => return Err(format!("handshake with a wrong name: {other:?}")),
    }
    check(!over.tls.take_outgoing().is_empty(), || {
        "no alert for the peer".into()
    })?;
    match MemoryTls::client(ClientTls::new()) {
        Err(Error::InvalidArgument(_)) => {}
        other => return Err(format!("a client without a name: {other:?}")),
    }
    over.writer.close();
    Ok(())
}

/// The server side: CPython's client (OpenSSL) shakes hands, sends lines
/// and closes with `close_notify`; everything is echoed, then the session
/// answers with its own `close_notify`.
async fn serve(host: &str, port: u16, chain: String, key: String) -> Outcome {
    let tls = ServerTls::new(chain, key).alpn_protocols(["echo/1"]);
    let mut over = Over::open(host, port, MemoryTls::server(tls).map_err(text)?).await?;
    let info = over.handshake_echo_1().await?;
    check(info.peer_certificates.is_empty(), || {
        "a client certificate nobody asked for".into()
    })?;
    loop {
        let received = std::mem::take(&mut over.plaintext);
        if !received.is_empty() {
            over.tls.write(&received).map_err(text)?;
        }
        if over.peer_closed {
            break;
        }
        check(over.step().await?, || {
            "EOF before the client's close_notify".into()
        })?;
    }
    over.tls.close();
    over.flush().await?;
    over.writer.close();
    Ok(())
}
