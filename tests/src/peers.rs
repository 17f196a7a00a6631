//! Native tokio peers the scenario components talk to. Each peer listens on
//! 127.0.0.1 port 0, serves a bounded number of connections, and stops by
//! itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// How long any peer waits for anything before giving up.
const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// The script the `split` peers send, cut at different points.
pub const SPLIT_SCRIPT: &[u8] = b"line one\na: 1\r\nb: 2\r\n\r\nfirst||secondEND12345tail";

/// How a `split` peer cuts [`SPLIT_SCRIPT`] into writes.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// One byte per write.
    EveryByte,
    /// Inside every multi-byte separator.
    InsideSeparators,
    /// Right after every separator's last byte.
    AfterSeparators,
}

/// A running peer: its address and its task (which ends by itself).
pub struct Peer {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Peer {
    /// Waits for the peer to finish (bounded), surfacing its panics.
    pub async fn finish(self) {
        match tokio::time::timeout(PEER_TIMEOUT, self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("peer task failed: {e}"),
            Err(_) => panic!("peer did not finish"),
        }
    }
}

async fn listener(recv_buffer: Option<u32>) -> TcpListener {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    socket.listen(16).expect("listen")
}

/// Starts a peer that accepts `connections` connections and serves each
/// with `serve`, concurrently.
async fn spawn<F, Fut>(connections: usize, recv_buffer: Option<u32>, serve: F) -> Peer
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = listener(recv_buffer).await;
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut served = Vec::new();
        for _ in 0..connections {
            let (stream, _) = tokio::time::timeout(PEER_TIMEOUT, listener.accept())
                .await
                .expect("peer accept timed out")
                .expect("accept");
            stream.set_nodelay(true).unwrap();
            served.push(tokio::spawn(tokio::time::timeout(
                PEER_TIMEOUT,
                serve(stream),
            )));
        }
        for task in served {
            task.await
                .expect("peer connection task")
                .expect("peer timed out");
        }
    });
    Peer { addr, task }
}

/// Echoes everything back until EOF, then closes.
pub async fn echo() -> Peer {
    echo_connections(1).await
}

/// Echoes on each of `n` connections.
pub async fn echo_connections(n: usize) -> Peer {
    spawn(n, None, |mut stream| async move {
        let (mut r, mut w) = stream.split();
        tokio::io::copy(&mut r, &mut w).await.expect("echo");
        w.shutdown().await.ok();
    })
    .await
}

/// Accepts `n` connections, closing each at once.
pub async fn close_at_once(n: usize) -> Peer {
    spawn(n, None, |stream| async move { drop(stream) }).await
}

/// Echoes on each of `n` connections until EOF or a reset (a client that
/// aborts may reset the connection: that is not the peer's failure).
pub async fn echo_until_gone(n: usize) -> Peer {
    spawn(n, None, |mut stream| async move {
        let (mut r, mut w) = stream.split();
        let _ = tokio::io::copy(&mut r, &mut w).await;
        w.shutdown().await.ok();
    })
    .await
}

/// Each time the client sends a line, sends the next of `scripts` in one
/// write (one segment on loopback), then waits for the client to close.
pub async fn on_request(scripts: &'static [&'static [u8]]) -> Peer {
    spawn(1, None, move |mut stream| async move {
        let (r, mut w) = stream.split();
        let mut r = tokio::io::BufReader::new(r);
        for script in scripts {
            let mut request = String::new();
            tokio::io::AsyncBufReadExt::read_line(&mut r, &mut request)
                .await
                .expect("read the request");
            w.write_all(script).await.expect("write the script");
        }
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).await.ok();
    })
    .await
}

/// A 10 MiB line (no newline until its end), then `ok\n`, in one go.
pub async fn ten_mib_line() -> Peer {
    spawn(1, None, |mut stream| async move {
        let line = vec![b'x'; 10 << 20];
        stream.write_all(&line).await.expect("the long line");
        stream.write_all(b"\nok\n").await.expect("the next line");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.ok();
    })
    .await
}

/// Slowloris: `hello\n`, one byte every 100 ms, then EOF.
pub async fn one_byte_at_a_time() -> Peer {
    spawn(1, None, |mut stream| async move {
        for byte in b"hello\n" {
            stream.write_all(&[*byte]).await.expect("a byte");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stream.shutdown().await.ok();
    })
    .await
}

/// Floods 16 MiB of a counting pattern as fast as the client takes it, then
/// closes (the client reads nothing at first).
pub async fn flood() -> Peer {
    spawn(1, None, |mut stream| async move {
        let data: Vec<u8> = (0..16u32 << 20).map(|i| (i % 251) as u8).collect();
        stream.write_all(&data).await.expect("the flood");
        stream.shutdown().await.ok();
    })
    .await
}

/// Sends [`SPLIT_SCRIPT`] cut as `cut` says, pausing between writes.
pub async fn split(cut: Cut) -> Peer {
    spawn(1, None, move |mut stream| async move {
        for piece in cut_script(cut) {
            stream.write_all(piece).await.expect("write");
            stream.flush().await.expect("flush");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        stream.shutdown().await.ok();
    })
    .await
}

fn cut_script(cut: Cut) -> Vec<&'static [u8]> {
    let s = SPLIT_SCRIPT;
    let seps: [&[u8]; 4] = [b"\n", b"\r\n\r\n", b"||", b"END"];
    let mut points = Vec::new();
    match cut {
        Cut::EveryByte => points.extend(1..s.len()),
        Cut::InsideSeparators | Cut::AfterSeparators => {
            for sep in seps {
                for (i, w) in s.windows(sep.len()).enumerate() {
                    if w == sep {
                        match cut {
                            Cut::InsideSeparators if sep.len() > 1 => points.push(i + 1),
                            Cut::InsideSeparators => points.push(i),
                            _ => points.push(i + sep.len()),
                        }
                    }
                }
            }
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for p in points.into_iter().filter(|&p| p > 0 && p < s.len()) {
        pieces.push(&s[start..p]);
        start = p;
    }
    pieces.push(&s[start..]);
    pieces
}

/// Sends a line of exactly 16 bytes, one of 17, and a short one.
pub async fn limit_lines() -> Peer {
    spawn(1, None, |mut stream| async move {
        stream
            .write_all(b"0123456789abcdef\n0123456789abcdefX\nshort\n")
            .await
            .expect("write");
        let mut sink = Vec::new();
        stream.read_to_end(&mut sink).await.ok();
    })
    .await
}

/// Sends "partial" and closes, on each of three connections.
pub async fn partial_then_eof() -> Peer {
    spawn(3, None, |mut stream| async move {
        stream.write_all(b"partial").await.expect("write");
        stream.shutdown().await.ok();
        let mut sink = Vec::new();
        stream.read_to_end(&mut sink).await.ok();
    })
    .await
}

/// Sends a few bytes, then resets the connection (RST).
pub async fn reset_mid_read() -> Peer {
    spawn(1, None, |mut stream| async move {
        stream.write_all(b"0123456789").await.expect("write");
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.set_zero_linger().expect("SO_LINGER");
        drop(stream);
    })
    .await
}

/// Reads 256 KiB of what the client sends, then resets the connection
/// while the client is still writing.
pub async fn reset_mid_write() -> Peer {
    spawn(1, None, |mut stream| async move {
        let mut taken = 0;
        let mut buf = [0u8; 16 * 1024];
        while taken < 256 * 1024 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => taken += n,
            }
        }
        stream.set_zero_linger().expect("SO_LINGER");
        drop(stream);
    })
    .await
}

/// Accepts and never reads, until the client goes away (or a bound passes).
pub async fn never_reads() -> Peer {
    spawn(1, Some(4096), |mut stream| async move {
        // Read nothing for a while (the client checks drain meanwhile),
        // then drain until the client goes away.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut sink = [0u8; 1];
        while tokio::time::timeout(Duration::from_secs(5), stream.read(&mut sink))
            .await
            .is_ok_and(|r| r.is_ok_and(|n| n > 0))
        {}
    })
    .await
}

/// Accepts `n` connections and keeps each silent and open for three seconds
/// whatever the client does (its EOF included), then closes it.
pub async fn silent_connections(n: usize) -> Peer {
    spawn(n, None, |stream| async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(stream);
    })
    .await
}

/// Reads nothing for `pause`, then reads to EOF and checks it got exactly
/// `total` bytes.
pub async fn reads_after(pause: Duration, total: usize) -> Peer {
    spawn(1, Some(4096), move |mut stream| async move {
        tokio::time::sleep(pause).await;
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.expect("read to EOF");
        assert_eq!(got.len(), total, "bytes the peer got");
    })
    .await
}

/// On each connection in turn, reads nothing for `pause`, then reads to
/// the end; the connection's entry in `totals`, if any, is how many bytes
/// must arrive (none for one the client aborts).
pub async fn reads_each_after(pause: Duration, totals: &'static [Option<usize>]) -> Peer {
    let next = Arc::new(AtomicUsize::new(0));
    spawn(totals.len(), Some(4096), move |mut stream| {
        let total = totals[next.fetch_add(1, Ordering::SeqCst)];
        async move {
            tokio::time::sleep(pause).await;
            let mut got = Vec::new();
            let read = stream.read_to_end(&mut got).await;
            if let Some(total) = total {
                read.expect("read to EOF");
                assert_eq!(got.len(), total, "bytes the peer got");
            }
        }
    })
    .await
}

/// Accepts and resets soon after (once the client's connect is done).
pub async fn reset_at_once() -> Peer {
    spawn(1, None, |stream| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stream.set_zero_linger().expect("SO_LINGER");
        drop(stream);
    })
    .await
}

/// Reads what the client sends first (over TLS, its ClientHello), then
/// resets the connection.
pub async fn reset_after_first_read() -> Peer {
    spawn(1, None, |mut stream| async move {
        let mut first = [0u8; 4096];
        let _ = stream.read(&mut first).await;
        stream.set_zero_linger().expect("SO_LINGER");
        drop(stream);
    })
    .await
}

/// Reads to EOF, then answers "got N bytes\n" and closes.
pub async fn answer_after_eof() -> Peer {
    spawn(1, None, |mut stream| async move {
        let mut request = Vec::new();
        stream.read_to_end(&mut request).await.expect("read to EOF");
        let reply = format!("got {} bytes\n", request.len());
        stream.write_all(reply.as_bytes()).await.expect("write");
        stream.shutdown().await.ok();
    })
    .await
}

/// Connections the `idle-readers` scenario opens.
pub const IDLE_READERS: usize = 150;

/// Accepts [`IDLE_READERS`] connections and keeps every one silent until
/// all are open and a second has passed (the client's reads are waiting by
/// then), then sends each a line and reads until the client closes.
pub async fn silent_then_a_line_each() -> Peer {
    let all_open = Arc::new(tokio::sync::Barrier::new(IDLE_READERS));
    let served = Arc::new(AtomicUsize::new(0));
    spawn(IDLE_READERS, None, move |mut stream| {
        let (all_open, served) = (all_open.clone(), served.clone());
        async move {
            all_open.wait().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let n = served.fetch_add(1, Ordering::Relaxed);
            stream
                .write_all(format!("line {n}\n").as_bytes())
                .await
                .expect("write");
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).await.ok();
        }
    })
    .await
}

/// Sends "hel", waits, then "lo\n".
pub async fn slow_line(pause: Duration) -> Peer {
    spawn(1, None, move |mut stream| async move {
        stream.write_all(b"hel").await.expect("write");
        tokio::time::sleep(pause).await;
        stream.write_all(b"lo\n").await.expect("write");
        let mut sink = Vec::new();
        stream.read_to_end(&mut sink).await.ok();
    })
    .await
}

/// A loopback port with nothing listening on it.
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().unwrap().port()
}

/// A one-request HTTP server: it answers with a 200 and the headers
/// `Content-Type: text/plain` and `X-Test: yes`, then closes; returns its
/// port and the request it received.
pub async fn http_once() -> (u16, JoinHandle<String>) {
    use tokio::io::AsyncBufReadExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut stream = tokio::io::BufReader::new(stream);
        let mut request = String::new();
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            request.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        stream
            .get_mut()
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nX-Test: yes\r\n\r\n")
            .await
            .unwrap();
        request
    });
    (port, task)
}

/// A TLS echo peer (rustls, `ring`) for one client, with the chain and key
/// of `pki`: it echoes one read back, then closes with `close_notify`.
/// Returns its port and the thread, which ends after the client.
pub fn tls_echo_once(pki: &crate::pki::Pki) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let chain = CertificateDer::pem_slice_iter(pki.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("the chain");
    let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).expect("the key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("a certificate");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("its address").port();
    let handle = std::thread::spawn(move || {
        let (socket, _) = listener.accept().expect("a client");
        socket
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("a timeout");
        let session =
            rustls::ServerConnection::new(std::sync::Arc::new(config)).expect("a session");
        let mut tls = rustls::StreamOwned::new(session, socket);
        let mut buf = [0u8; 100];
        let n = tls.read(&mut buf).expect("the message");
        tls.write_all(&buf[..n]).expect("the echo");
        tls.conn.send_close_notify();
        tls.flush().expect("close_notify");
    });
    (port, handle)
}

/// Sends "hello\n" and shuts its write half, then reads to EOF and checks
/// it got exactly `expected`: a client may write after the peer's EOF.
pub async fn half_close_then_expect(expected: &'static [u8]) -> Peer {
    spawn(1, None, move |mut stream| async move {
        stream.write_all(b"hello\n").await.expect("write");
        stream.shutdown().await.expect("shutdown");
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.expect("read to EOF");
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected)
        );
    })
    .await
}

/// Reads to EOF (or close) and checks it got exactly `expected`: what a
/// client wrote just before closing arrived whole and in order.
pub async fn expect_exactly(expected: Vec<u8>) -> Peer {
    spawn(1, None, move |mut stream| {
        let expected = expected.clone();
        async move {
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.expect("read to EOF");
            assert!(
                got == expected,
                "the peer got {} bytes, expected {} (first difference at {:?})",
                got.len(),
                expected.len(),
                got.iter().zip(&expected).position(|(a, b)| a != b)
            );
        }
    })
    .await
}

/// A loopback listener that never accepts, its accept queue full: Linux
/// drops a further connect's SYN, so that connect gets no answer (for
/// connect timeouts without leaving loopback). Gone when dropped.
pub struct Unanswering {
    /// The port to connect to.
    pub port: u16,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

/// Starts an [`Unanswering`] listener.
pub async fn unanswering() -> Unanswering {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let listener = socket.listen(0).expect("listen");
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    // Connect until one gets no answer: the queue is full from then on.
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => queued.push(stream),
            _ => break,
        }
    }
    Unanswering {
        port: addr.port(),
        _listener: listener,
        _queued: queued,
    }
}
