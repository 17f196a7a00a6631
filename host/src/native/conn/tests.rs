//! The writer's send-at-once path, on in-memory transports.

use std::sync::Arc;

use bytes::Bytes;
use portable_streams_core::{Connection, ReadBuffer};
use tokio::io::{AsyncReadExt, DuplexStream, duplex};

use super::Conn;
use crate::native::transport::Transport;

/// A connection whose sending half is a pipe holding at most `capacity`
/// bytes, and the pipe's far end.
fn conn_with_pipe(capacity: usize) -> (Arc<Conn>, DuplexStream) {
    let (sink, far) = duplex(capacity);
    let (source, _unused) = duplex(16);
    let transport = Transport::new(Box::pin(source), Box::pin(sink));
    let read = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
    (
        Conn::start(transport, Connection::new(read), None, None),
        far,
    )
}

#[tokio::test]
async fn a_write_on_an_idle_connection_is_sent_before_write_returns() {
    let (conn, mut far) = conn_with_pipe(1024);
    conn.write(Bytes::from_static(b"ping")).unwrap();
    // Nothing awaited since `write`: the pump has not run, yet the bytes
    // have left the buffer.
    assert_eq!(conn.write_buffer_size(), 0);
    let mut got = [0; 4];
    far.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"ping");
}

#[tokio::test]
async fn what_the_transport_refuses_stays_buffered_and_goes_out_in_order() {
    let (conn, mut far) = conn_with_pipe(4);
    conn.write(Bytes::from_static(b"0123456789")).unwrap();
    // The pipe took four bytes at once; six wait for the pump.
    assert_eq!(conn.write_buffer_size(), 6);
    conn.write(Bytes::from_static(b"abc")).unwrap();
    let mut got = Vec::new();
    while got.len() < 13 {
        let mut chunk = [0; 8];
        let n = far.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the pipe ended early");
        got.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(got, b"0123456789abc");
    conn.drain().await.unwrap();
    assert_eq!(conn.write_buffer_size(), 0);
}

#[tokio::test]
async fn close_flushes_the_rest_then_ends_the_stream() {
    let (conn, mut far) = conn_with_pipe(2);
    conn.write(Bytes::from_static(b"hello")).unwrap();
    conn.close();
    let mut got = Vec::new();
    far.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"hello");
    conn.wait_closed().await.unwrap();
}
