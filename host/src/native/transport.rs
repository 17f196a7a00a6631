//! The native byte transports: a connected socket (TCP or Unix) or an
//! in-process pipe, split into a receiving and a sending half, with what
//! `get-extra-info` tells of it. A TLS handshake over its halves adds the
//! session the connection then runs them through.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadHalf};
use tokio::net::{TcpStream, UnixStream, tcp, unix as unix_net};

use portable_streams_core::tls::{Layer, Received};

use super::wit;

/// A receiving half that tells when bytes have arrived without being
/// given a buffer: a connection then reserves its receive room only for a
/// read that will fill it, and an idle one holds none.
pub(crate) trait Receive: AsyncRead + Send {
    /// Ready once a read would not wait, or with the error a read would
    /// return. A half that cannot tell is always ready (a read then waits
    /// with the room taken).
    fn poll_readable(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Receive for tcp::OwnedReadHalf {
    fn poll_readable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsRef::<TcpStream>::as_ref(&*self).poll_read_ready(cx)
    }
}

impl Receive for unix_net::OwnedReadHalf {
    fn poll_readable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsRef::<UnixStream>::as_ref(&*self).poll_read_ready(cx)
    }
}

/// In-process pipes (wrapped streams, tests) cannot tell.
impl Receive for DuplexStream {}

/// In-process pipes (tests) cannot tell.
impl Receive for ReadHalf<DuplexStream> {}

/// The receiving half of a transport.
pub(crate) type Source = Pin<Box<dyn Receive>>;
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
    /// The TLS session over the halves, once a handshake made one: the
    /// connection's engine takes it, and decrypts what they receive and
    /// encrypts what it sends (with no `write_eof`: TLS has no half-close).
    pub(crate) tls: Option<Layer>,
    /// Plaintext (and the peer's `close_notify`) that arrived with the
    /// handshake's last flight, for the reader.
    pub(crate) early: Received,
}

/// What a socket tells of its ends (kept across a TLS handshake).
struct Ends {
    /// `peername`.
    pub(crate) peer: Option<wit::SocketAddress>,
    /// `sockname`.
    pub(crate) local: Option<wit::SocketAddress>,
}

impl Transport {
    /// A transport over these halves, with nothing more to tell.
    pub(crate) fn new(source: Source, sink: Sink) -> Self {
        Self {
            source,
            sink,
            peer: None,
            local: None,
            tls: None,
            early: Received::default(),
        }
    }
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

/// What a connected TCP stream tells of its ends.
fn tcp_ends(stream: &TcpStream) -> Ends {
    Ends {
        peer: stream.peer_addr().ok().map(wit::SocketAddress::from),
        local: stream.local_addr().ok().map(wit::SocketAddress::from),
    }
}

/// The transport over a connected TCP stream, with `TCP_NODELAY` set as
/// asyncio sets it.
pub(crate) fn tcp(stream: TcpStream) -> Transport {
    set_nodelay(&stream);
    let ends = tcp_ends(&stream);
    let (source, sink) = stream.into_split();
    Transport {
        peer: ends.peer,
        local: ends.local,
        ..Transport::new(Box::pin(source), Box::pin(sink))
    }
}

/// `TCP_NODELAY`, as asyncio sets it on every TCP connection.
fn set_nodelay(stream: &TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
}

/// What a Unix stream tells of its ends. `local` is the listener's path
/// for an accepted connection; the kernel reports none for it.
fn unix_ends(stream: &UnixStream, local: Option<String>) -> Ends {
    let path_of = |addr: std::io::Result<tokio::net::unix::SocketAddr>| {
        addr.ok()
            .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
            .unwrap_or_default()
    };
    let peer = path_of(stream.peer_addr());
    let local = local.unwrap_or_else(|| path_of(stream.local_addr()));
    Ends {
        peer: Some(wit::SocketAddress::Unix(peer)),
        local: Some(wit::SocketAddress::Unix(local)),
    }
}

/// The transport over a Unix stream (see [`unix_ends`] for `local`).
pub(crate) fn unix(stream: UnixStream, local: Option<String>) -> Transport {
    let ends = unix_ends(&stream, local);
    let (source, sink) = stream.into_split();
    Transport {
        peer: ends.peer,
        local: ends.local,
        ..Transport::new(Box::pin(source), Box::pin(sink))
    }
}
