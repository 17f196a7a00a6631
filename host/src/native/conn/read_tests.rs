//! What a waiting read holds, on a real loopback socket.

use std::sync::Arc;
use std::task::{Context, Waker};

use portable_streams_core::{ByteBudget, Connection, ReadBuffer, ReadCall, ReadRequest};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::Conn;
use crate::native::transport;

/// A connection over one end of a loopback TCP pair, and the other end.
async fn conn_over_loopback() -> (Arc<Conn>, TcpStream) {
    conn_over_loopback_with(|transport| transport, |engine| engine).await
}

/// [`conn_over_loopback`] with `layer` over the connection's transport.
async fn conn_over_loopback_with(
    layer: impl FnOnce(transport::Transport) -> transport::Transport,
    engine: impl FnOnce(Connection) -> Connection,
) -> (Arc<Conn>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (peer, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let (stream, _) = accepted.unwrap();
    let read = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
    let conn = Conn::start(
        layer(transport::tcp(stream)),
        engine(Connection::new(read)),
        None,
        None,
    );
    (conn, peer.unwrap())
}

/// Starts `request` on `conn` and returns once it waits for the socket.
/// The engine's state is changed only under the lock, and one poll holds
/// it throughout: once the reader is seen waiting, that poll is over.
async fn read_until_waiting(
    conn: &Arc<Conn>,
    request: ReadRequest,
) -> tokio::task::JoinHandle<Result<bytes::Bytes, portable_streams_core::Error>> {
    let reading = tokio::spawn({
        let conn = conn.clone();
        async move { conn.read(request).await }
    });
    while !conn.lock().engine.reader().is_waiting() {
        tokio::task::yield_now().await;
    }
    reading
}

#[tokio::test]
async fn a_read_waiting_on_a_silent_socket_holds_no_receive_room() {
    let (conn, mut peer) = conn_over_loopback().await;
    let reading = read_until_waiting(&conn, ReadRequest::readline()).await;
    // Before: the 256 KiB of room for the next receive, per idle client.
    assert_eq!(conn.lock().engine.reader().allocated(), 0);
    peer.write_all(b"hello\n").await.unwrap();
    assert_eq!(&reading.await.unwrap().unwrap()[..], b"hello\n");

    // A connection that received and went quiet gives its room back too.
    let reading = read_until_waiting(&conn, ReadRequest::readline()).await;
    assert_eq!(conn.lock().engine.reader().allocated(), 0);
    peer.write_all(b"again\n").await.unwrap();
    assert_eq!(&reading.await.unwrap().unwrap()[..], b"again\n");
}

#[tokio::test]
async fn bytes_buffered_before_the_wait_are_kept_while_it_waits() {
    let (conn, mut peer) = conn_over_loopback().await;
    peer.write_all(b"par").await.unwrap();
    let reading = read_until_waiting(&conn, ReadRequest::readline()).await;
    // The wait may have begun before "par" arrived: let it be received.
    while conn.lock().engine.reader().buffered() < 3 {
        tokio::task::yield_now().await;
    }
    assert_eq!(conn.lock().engine.reader().buffer(), b"par");
    peer.write_all(b"tial\n").await.unwrap();
    assert_eq!(&reading.await.unwrap().unwrap()[..], b"partial\n");
}

#[tokio::test(start_paused = true)]
async fn a_read_waiting_on_a_silent_socket_ends_at_the_idle_timeout() {
    // The wait for the socket's readiness times out as a read does.
    let (conn, _peer) = conn_over_loopback_with(
        |transport| {
            crate::native::idle::with_idle_timeout(transport, std::time::Duration::from_secs(5))
        },
        |engine| engine,
    )
    .await;
    let read = conn.read(ReadRequest::readline());
    let error = tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the idle timeout did not end the wait")
        .unwrap_err();
    assert!(error.to_string().contains("idle timeout"), "{error}");
}

#[tokio::test]
async fn a_read_waiting_on_a_silent_socket_holds_none_of_the_budget() {
    let budget = ByteBudget::new(Some(1 << 20));
    let (conn, mut peer) = conn_over_loopback_with(
        |transport| transport,
        |engine| engine.charging(budget.clone()),
    )
    .await;
    // Polled by hand: the first poll may find the socket said ready (a
    // fresh one does) and read nothing; the next ones wait on readiness.
    let mut call = ReadCall::new(ReadRequest::readline());
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..3 {
        assert!(conn.poll_call(&mut call, &mut cx).is_pending());
        // Before: the 256 KiB reserved for the receive stayed reserved
        // while the read waited, so four idle readers used up this budget.
        assert_eq!(budget.held(), 0);
    }
    conn.abandon(&mut call);
    peer.write_all(b"hello\n").await.unwrap();
    let line = conn.read(ReadRequest::readline()).await.unwrap();
    assert_eq!(&line[..], b"hello\n");
}
