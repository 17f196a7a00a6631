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

#[tokio::test]
async fn accepts_that_waited_leave_no_waker_behind() {
    let server = start_server(
        (
            NativeCtx::new(Arc::new(Policy::allow_all())).allowance(),
            Default::default(),
        ),
        vec!["127.0.0.1".into()],
        0,
        options(),
    )
    .await
    .unwrap();
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
    assert_eq!(server.shared.changed.waiting(), 0);
}
