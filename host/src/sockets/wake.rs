//! The host's wake-up connection to a listener the component gave up.
//!
//! wasmtime-wasi's accept stream owns its listener while an accept is
//! pending, and the host's relay cannot cancel that accept when the
//! component drops its end: the port would stay bound until another client
//! connected. So the host connects once itself, from an address it tells
//! the accept check about (the connection then takes no place under the
//! caps and passes whatever the policy says), and the relay discards that
//! socket and ends the stream, which closes the listener.

use std::net::SocketAddr;
use std::time::Duration;

use portable_streams_core::connect::reached;
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

use super::SocketAccount;

/// How long the wake-up waits for its connection and then for the relay to
/// discard it.
const PATIENCE: Duration = Duration::from_secs(5);

/// Connects once to `listening` (a listener's own address) in the
/// background, on the current tokio runtime; without one, nothing happens
/// (the listener then closes at its next connection or the store's end).
pub fn wake_listener(account: SocketAccount, listening: SocketAddr) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::debug!(%listening, "no runtime to wake a given-up listener on");
        return;
    };
    runtime.spawn(async move {
        // A wildcard listener is reached on its family's loopback.
        let target = SocketAddr::new(reached(listening.ip()), listening.port());
        if let Err(error) = wake(&account, target).await {
            tracing::debug!(%listening, "waking a given-up listener: {error}");
        }
    });
}

async fn wake(account: &SocketAccount, target: SocketAddr) -> std::io::Result<()> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // Bound first, so that the accept check knows the wake-up by its
    // address before it arrives.
    socket.bind(SocketAddr::new(target.ip(), 0))?;
    let from = socket.local_addr()?;
    account.expect_wake(from);
    let waited = tokio::time::timeout(PATIENCE, async {
        let mut stream = socket.connect(target).await?;
        // The relay discards the socket, which closes it.
        let _ = stream.read(&mut [0; 1]).await;
        Ok::<_, std::io::Error>(())
    })
    .await;
    account.forget_wake(from);
    match waited {
        Ok(result) => result,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}
