//! One connection's shared state: core's read and write buffers, the byte
//! streams they are moved through, and the signals that tie the reader,
//! the writer and the pump together.

use std::cell::RefCell;
use std::rc::Rc;

use portable_streams_core::{Error, ReadBuffer, WriteBuffer};
use wasip3::sockets::types::{ErrorCode, TcpSocket};
use wit_bindgen::rt::async_support::StreamVtable;
use wit_bindgen::{AbiBuffer, FutureReader, StreamReader, StreamWriter};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::signal::Signal;

/// The `future<result<_, error-code>>` that `wasi:sockets` pairs with each
/// TCP byte stream: how the stream ended.
pub(crate) type StreamEnd = FutureReader<Result<(), ErrorCode>>;

/// Bytes taken from core's write buffer but not yet accepted by the sink.
pub(crate) type Unsent = AbiBuffer<&'static StreamVtable<u8>>;

/// Where the reader's bytes come from.
pub(crate) struct Source {
    /// The byte stream (a socket's single receive stream, or `wrap`'s
    /// input); none once it ended and only its end future is left to read.
    pub(crate) stream: Option<StreamReader<u8>>,
    /// For sockets: why the stream ended (EOF or a connection error).
    pub(crate) end: Option<StreamEnd>,
}

/// Where the writer's bytes go.
pub(crate) struct Sink {
    /// The byte stream (a socket's single send stream, or `wrap`'s output).
    pub(crate) stream: StreamWriter<u8>,
    /// For sockets: the send's outcome (an error when the peer is gone).
    pub(crate) end: Option<StreamEnd>,
}

/// The pump's state, kept here so that a pump that is dropped part-way can
/// be restarted without losing bytes.
#[derive(Default)]
pub(crate) struct PumpState {
    /// The sink, while the write half is open.
    pub(crate) sink: Option<Sink>,
    /// The rest of a chunk that the sink accepted only in part.
    pub(crate) unsent: Option<Unsent>,
}

/// One connection: shared by its reader and writer resources, the pump
/// task and (for accepted connections) the server.
pub(crate) struct Conn {
    /// core's reader buffer: every reader rule.
    pub(crate) read: RefCell<ReadBuffer>,
    /// core's writer buffer: watermarks and closing.
    pub(crate) write: RefCell<WriteBuffer>,
    /// The source, while reading may continue.
    pub(crate) source: RefCell<Option<Source>>,
    /// The pump's sink and unsent bytes.
    pub(crate) pump_state: RefCell<PumpState>,
    /// Notified on `close`, `abort` and loss of the connection: stops a read
    /// in progress on the source.
    pub(crate) closing: Signal,
    /// Notified when writing resumes or the connection is lost: `drain` and
    /// `wait-closed` wait for it.
    pub(crate) writable: Signal,
    /// Notified when the pump has work: data, EOF, close, abort.
    pub(crate) pump: Signal,
    /// `peername` and `sockname`, read once at connect time.
    info: (Option<wit::SocketAddress>, Option<wit::SocketAddress>),
    /// The socket, kept open until the connection is closed.
    socket: RefCell<Option<TcpSocket>>,
    /// The server's signal to notify once this connection is closed.
    on_closed: Option<Rc<Signal>>,
}

/// How a connection is assembled.
pub(crate) struct Parts {
    /// The reader's buffer (validated limit).
    pub(crate) read: ReadBuffer,
    /// Where reads come from.
    pub(crate) source: Source,
    /// Where writes go.
    pub(crate) sink: Sink,
    /// `peername`, `sockname`.
    pub(crate) info: (Option<wit::SocketAddress>, Option<wit::SocketAddress>),
    /// The socket to keep open, if any.
    pub(crate) socket: Option<TcpSocket>,
    /// The server to tell when the connection closes.
    pub(crate) on_closed: Option<Rc<Signal>>,
}

impl Conn {
    /// A new open connection. Its pump must be started with
    /// [`crate::pump::spawn`].
    pub(crate) fn new(parts: Parts) -> Rc<Self> {
        Rc::new(Self {
            read: RefCell::new(parts.read),
            write: RefCell::new(WriteBuffer::default()),
            source: RefCell::new(Some(parts.source)),
            pump_state: RefCell::new(PumpState {
                sink: Some(parts.sink),
                unsent: None,
            }),
            closing: Signal::default(),
            writable: Signal::default(),
            pump: Signal::default(),
            info: parts.info,
            socket: RefCell::new(parts.socket),
            on_closed: parts.on_closed,
        })
    }

    /// asyncio's `get_extra_info('peername')` and `('sockname')`.
    pub(crate) fn info(&self) -> (Option<wit::SocketAddress>, Option<wit::SocketAddress>) {
        self.info.clone()
    }

    /// `close()`: the pump flushes, then closes; reading stops at once (as
    /// asyncio's transport stops reading on `close`).
    pub(crate) fn close(&self) {
        self.write.borrow_mut().close();
        self.pump.notify();
        self.closing.notify();
    }

    /// `abort()`: close at once, discarding buffered data. `wasi:sockets`
    /// cannot send a TCP reset, so the peer sees an orderly close.
    pub(crate) fn abort(&self) {
        self.lost(None);
    }

    /// asyncio's `connection_lost(exc)`: the writer is closed with `error`
    /// (buffer discarded); the reader gets the error, or EOF for a clean
    /// close; the streams and the socket are released.
    pub(crate) fn lost(&self, error: Option<Error>) {
        if !self.write.borrow_mut().connection_lost(error.clone()) {
            return;
        }
        {
            let mut read = self.read.borrow_mut();
            match error {
                Some(error) => read.set_exception(error),
                None if !read.eof_received() => read.feed_eof(),
                None => {}
            }
        }
        // Dropping these outside the borrows: a drop may call into the host.
        let source = self.source.borrow_mut().take();
        let pump_state = std::mem::take(&mut *self.pump_state.borrow_mut());
        let socket = self.socket.borrow_mut().take();
        drop((source, pump_state, socket));
        self.closing.notify();
        self.writable.notify();
        self.pump.notify();
        if let Some(server) = &self.on_closed {
            server.notify();
        }
    }

    /// Whether the connection is closed (what `wait-closed` awaits).
    pub(crate) fn is_closed(&self) -> bool {
        self.write.borrow().is_closed()
    }
}
