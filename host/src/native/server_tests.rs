//! The server's waiters, on loopback.

use std::sync::Arc;

use tokio::net::TcpStream;

use super::{Server, start_server};
use crate::native::{NativeCtx, wit};
use crate::policy::Policy;

fn options() -> wit::ServerOptions {
    wit::ServerOptions {
        limit: None,
        family: wit::AddressFamily::Unspecified,
        backlog: None,
        reuse_address: None,
        reuse_port: false,
        keep_alive: false,
        start_serving: None,
        tls: None,
    }
}

fn port(server: &Server) -> u16 {
    match &server.shared.sockets()[0] {
        wit::SocketAddress::Ipv4(endpoint) => endpoint.port,
        other => panic!("unexpected address {other:?}"),
    }
}

/// A server on a loopback port of its own, under a policy that allows all.
async fn listening(options: wit::ServerOptions) -> Server {
    let sandbox = (
        NativeCtx::new(Arc::new(Policy::allow_all())).allowance(),
        Default::default(),
    );
    start_server(sandbox, vec!["127.0.0.1".into()], 0, options)
        .await
        .unwrap()
}

#[tokio::test]
async fn accepts_that_waited_leave_no_waker_behind() {
    let server = listening(options()).await;
    let port = port(&server);
    let mut kept = Vec::new();
    for _ in 0..50 {
        // The accept waits first, then the client comes: a waker is
        // registered every time, and no client closes to clear them.
        let accept = tokio::spawn({
            let shared = server.shared.clone();
            async move { shared.accept().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        kept.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        accept.await.unwrap().unwrap();
    }
    assert_eq!(server.shared.shell.changed().waiting(), 0);
}

/// A TLS server's options with a throwaway self-signed certificate.
fn tls_options() -> wit::ServerOptions {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    wit::ServerOptions {
        tls: Some(wit::ServerTlsOptions {
            certificate_chain: certified.cert.pem(),
            private_key: certified.signing_key.serialize_pem(),
            handshake_timeout: None,
            shutdown_timeout: None,
            alpn_protocols: Vec::new(),
        }),
        ..options()
    }
}

#[tokio::test]
async fn a_dropped_server_stops_listening_with_a_handshake_under_way() {
    let server = listening(tls_options()).await;
    let port = port(&server);
    // A client that never sends its ClientHello: its handshake runs until
    // the 60 s handshake timeout unless the server's end stops it.
    let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let accept = tokio::spawn({
        let shared = server.shared.clone();
        async move { shared.accept().await.map(|_| ()) }
    });
    // The accept takes the client off the listener and starts its
    // handshake (then waits for it).
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!accept.is_finished());
    accept.abort();
    let _ = accept.await;
    let shared = Arc::downgrade(&server.shared);
    drop(server);
    let refused = TcpStream::connect(("127.0.0.1", port)).await;
    assert!(refused.is_err(), "still listening after the drop");
    // The handshake ended with the server: nothing holds its state.
    for _ in 0..100 {
        if shared.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the handshake task outlived the dropped server");
}
