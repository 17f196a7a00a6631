//! The native byte transports: a connected socket (TCP or Unix) or an
//! in-process pipe, split into a receiving and a sending half, with what
//! `get-extra-info` tells of it. This is the seam a TLS layer wraps: it
//! takes a [`Transport`] and returns one whose halves carry plaintext.

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use super::conv::socket_address;
use super::wit;

/// The receiving half of a transport.
pub(crate) type Source = Pin<Box<dyn AsyncRead + Send>>;
/// The sending half of a transport.
pub(crate) type Sink = Pin<Box<dyn AsyncWrite + Send>>;

/// A byte transport and what `get-extra-info` tells of it.
pub(crate) struct Transport {
    /// Bytes from the peer.
    pub(crate) source: Source,
    /// Bytes to the peer.
    pub(crate) sink: Sink,
    /// `peername`.
    pub(crate) peer: Option<wit::SocketAddress>,
    /// `sockname`.
    pub(crate) local: Option<wit::SocketAddress>,
}

/// A connection the embedder accepted itself (as `serve` does), to hand to
/// a component with [`adopt`](super::adopt).
#[derive(Debug)]
pub enum Accepted {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix-socket connection.
    Unix(UnixStream),
}

impl Accepted {
    /// The transport over this socket.
    pub(crate) fn into_transport(self) -> Transport {
        match self {
            Accepted::Tcp(stream) => tcp(stream),
            Accepted::Unix(stream) => unix(stream, None),
        }
    }
}

/// The transport over a connected TCP stream, with `TCP_NODELAY` set as
/// asyncio sets it.
pub(crate) fn tcp(stream: TcpStream) -> Transport {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
    let peer = stream.peer_addr().ok().map(socket_address);
    let local = stream.local_addr().ok().map(socket_address);
    let (source, sink) = stream.into_split();
    Transport {
        source: Box::pin(source),
        sink: Box::pin(sink),
        peer,
        local,
    }
}

/// The transport over a Unix stream. `local` is the listener's path for
/// an accepted connection; the kernel reports none for it.
pub(crate) fn unix(stream: UnixStream, local: Option<String>) -> Transport {
    let path_of = |addr: std::io::Result<tokio::net::unix::SocketAddr>| {
        addr.ok()
            .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
            .unwrap_or_default()
    };
    let peer = path_of(stream.peer_addr());
    let local = local.unwrap_or_else(|| path_of(stream.local_addr()));
    let (source, sink) = stream.into_split();
    Transport {
        source: Box::pin(source),
        sink: Box::pin(sink),
        peer: Some(wit::SocketAddress::Unix(peer)),
        local: Some(wit::SocketAddress::Unix(local)),
    }
}
