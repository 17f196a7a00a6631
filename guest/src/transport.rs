//! Transports: the byte streams a connection moves its bytes through, and
//! what `get-extra-info` tells of them. This is the seam a TLS layer wraps:
//! it takes a [`Transport`] and returns one whose streams carry plaintext.
//!
//! A connected `wasi:sockets` TCP socket is one: its single receive stream
//! feeds the reader, a new stream handed to its single `send` carries the
//! writer's bytes.

use portable_streams_core::tls::{Layer, Received};
use wasip3::sockets::types::{ErrorCode, TcpSocket};
use wasip3::wit_stream::StreamPayload;
use wit_bindgen::{FutureReader, StreamReader};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::addr_from_wasi;
use crate::sink::SinkStream;

/// The `future<result<_, error-code>>` that `wasi:sockets` pairs with each
/// TCP byte stream: how the stream ended.
pub(crate) type StreamEnd = FutureReader<Result<(), ErrorCode>>;

/// Where the reader's bytes come from.
pub(crate) struct Source {
    /// The byte stream (a socket's single receive stream, or `wrap`'s
    /// input); none once it ended and only its end future is left to read.
    pub(crate) stream: Option<StreamReader<u8>>,
    /// For sockets: why the stream ended (EOF or a connection error).
    pub(crate) end: Option<StreamEnd>,
    /// How the next read goes (see [`NextRead`]).
    pub(crate) next: NextRead,
}

impl Source {
    /// A source reading `stream`, ended as `end` tells.
    pub(crate) fn new(stream: Option<StreamReader<u8>>, end: Option<StreamEnd>) -> Self {
        Self {
            stream,
            end,
            next: NextRead::Wait,
        }
    }
}

/// How the next read from a source goes. A read waiting on a silent peer
/// holds no buffer and no budget: the wait is a zero-length read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextRead {
    /// The stream is likely empty (the last read took less than it asked
    /// for, or none was made): wait for bytes first.
    Wait,
    /// Bytes are there (the wait said so): read, waiting if need be.
    Read,
    /// The last read filled its buffer: more is likely there, so read at
    /// once, and wait first only if nothing is.
    Try,
}

/// Where the writer's bytes go.
pub(crate) struct Sink {
    /// The byte stream (a socket's single send stream, or `wrap`'s output).
    pub(crate) stream: SinkStream,
    /// For sockets: the send's outcome (an error when the peer is gone).
    pub(crate) end: Option<StreamEnd>,
}

/// A connection's transport: its two halves and what `get-extra-info`
/// tells of it. This is the seam a TLS layer wraps.
pub(crate) struct Transport {
    /// Where reads come from.
    pub(crate) source: Source,
    /// Where writes go.
    pub(crate) sink: Sink,
    /// `peername`: the peer's address.
    pub(crate) peer: Option<wit::SocketAddress>,
    /// `sockname`: this end's address.
    pub(crate) local: Option<wit::SocketAddress>,
    /// The socket to keep open, if any.
    pub(crate) socket: Option<TcpSocket>,
    /// The TLS session over the streams, once a handshake made one (the
    /// connection's engine then runs every byte through it).
    pub(crate) tls: Option<Layer>,
    /// Plaintext (and the peer's `close_notify`) that arrived with the
    /// handshake's last flight, for the reader.
    pub(crate) early: Received,
}

/// The transport over a connected socket.
pub(crate) fn tcp(socket: TcpSocket) -> Transport {
    let peer = socket
        .get_remote_address()
        .ok()
        .map(|a| addr_from_wasi(a).into());
    let local = socket
        .get_local_address()
        .ok()
        .map(|a| addr_from_wasi(a).into());
    let (received, receive_end) = socket.receive();
    let (to_send, sent) = wasip3::wit_stream::new::<u8>();
    let send_end = socket.send(sent);
    Transport {
        source: Source::new(Some(received), Some(receive_end)),
        sink: Sink {
            stream: SinkStream::new(to_send, <u8 as StreamPayload>::VTABLE),
            end: Some(send_end),
        },
        peer,
        local,
        socket: Some(socket),
        tls: None,
        early: Received::default(),
    }
}
