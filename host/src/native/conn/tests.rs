//! The writer's send-at-once path, on in-memory transports (also over
//! TLS).

use std::sync::Arc;

use bytes::Bytes;
use portable_streams_core::server::Client;
use portable_streams_core::tls::{ClientOptions, Layer, SHUTDOWN_TIMEOUT, ServerOptions, Session};
use portable_streams_core::{Connection, ReadBuffer};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
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

/// A client session established with an in-memory server that trusts a
/// throwaway CA, and the server session.
fn established_tls() -> (Session, Session) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let provider = || Arc::new(rustls::crypto::ring::default_provider());
    let client = ClientOptions {
        extra_root_certificates: vec![ca.pem()],
        ..ClientOptions::default()
    };
    let server = ServerOptions {
        certificate_chain: leaf.pem(),
        private_key: key.serialize_pem(),
        ..ServerOptions::default()
    };
    let name = client.verified_name(Some("localhost")).unwrap();
    let mut client = Session::client(client.config(provider()).unwrap(), name).unwrap();
    let mut server = Session::server(server.config(provider()).unwrap()).unwrap();
    while client.is_handshaking() || server.is_handshaking() {
        server.receive(&client.take_outgoing()).unwrap();
        client.receive(&server.take_outgoing()).unwrap();
    }
    (client, server)
}

#[tokio::test]
async fn tls_bytes_count_as_sent_once_the_transport_took_all_their_ciphertext() {
    let (client, mut server) = established_tls();
    // The pipe holds 64 bytes: less than the 100 bytes' ciphertext.
    let (sink, mut far) = duplex(64);
    let (source, _unused) = duplex(16);
    let mut transport = Transport::new(Box::pin(source), Box::pin(sink));
    transport.tls = Some(Layer::new(client, SHUTDOWN_TIMEOUT));
    let read = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
    let conn = Conn::start(transport, Connection::new(read), None, None);
    conn.write(Bytes::from(vec![7; 100])).unwrap();
    // Encrypted and partly taken: all 100 still count as buffered (as
    // asyncio's SSL transport counts its outgoing buffer).
    assert_eq!(conn.write_buffer_size(), 100);
    let mut ciphertext = vec![0; 64];
    far.read_exact(&mut ciphertext).await.unwrap();
    let mut plaintext = server.receive(&ciphertext).unwrap().plaintext;
    while plaintext.len() < 100 {
        let mut more = [0; 64];
        let n = far.read(&mut more).await.unwrap();
        assert!(n > 0, "the pipe ended early");
        plaintext.extend(server.receive(&more[..n]).unwrap().plaintext);
    }
    assert_eq!(plaintext, vec![7; 100]);
    conn.drain().await.unwrap();
    assert_eq!(conn.write_buffer_size(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_racing_the_pump_arrive_in_order() {
    // A pipe that takes little at a time keeps the pump busy on a worker
    // while this thread writes: a write that slipped between the pump's
    // step and its send would put its record before the pump's chunk.
    const RECORDS: u32 = 100_000;
    const BOUND: std::time::Duration = std::time::Duration::from_secs(30);
    let (conn, mut far) = conn_with_pipe(64);
    let writer = {
        let conn = conn.clone();
        let deadline = std::time::Instant::now() + BOUND;
        tokio::task::spawn_blocking(move || {
            for n in 0..RECORDS {
                conn.write(Bytes::copy_from_slice(&n.to_be_bytes()))
                    .unwrap();
                // Now and then, let the pump catch up (bounded in time).
                while n % 256 == 255
                    && conn.write_buffer_size() > 4096
                    && std::time::Instant::now() < deadline
                {
                    std::thread::yield_now();
                }
            }
        })
    };
    let mut got = vec![0u8; RECORDS as usize * 4];
    tokio::time::timeout(BOUND, far.read_exact(&mut got))
        .await
        .expect("every record arrives")
        .unwrap();
    writer.await.unwrap();
    for (n, record) in got.chunks(4).enumerate() {
        let record = u32::from_be_bytes(record.try_into().unwrap());
        assert_eq!(record, n as u32, "record {n} out of order");
    }
}
