//! The semantics of asyncio streams, with no I/O at all.
//!
//! Every observable rule of Python's `asyncio.StreamReader` (limit,
//! separators, partial data, EOF, stored errors, backpressure) and of the
//! `StreamWriter`'s flow control (watermarks, closing) lives here once.
//! Backends move bytes between a transport and these types:
//!
//! * [`ReadBuffer`]: feed it bytes ([`ReadBuffer::feed_data`]) and EOF
//!   ([`ReadBuffer::feed_eof`]); ask it whether a [`ReadRequest`] can be
//!   answered now ([`ReadBuffer::poll`]); if not, wait for more data.
//! * [`WriteBuffer`]: append with [`WriteBuffer::write`]; a pump takes
//!   chunks with [`WriteBuffer::take_chunk`] and reports them sent; `drain`
//!   asks [`WriteBuffer::drain_status`].
//!
//! ```
//! use portable_streams_core::{ReadBuffer, ReadRequest, Progress};
//!
//! let mut reader = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
//! let mut line = ReadRequest::readline();
//! reader.feed_data(b"hello ");
//! assert!(matches!(reader.poll(&mut line), Progress::NeedData));
//! reader.feed_data(b"world\nrest");
//! assert!(matches!(reader.poll(&mut line), Progress::Done(Ok(l)) if &l[..] == b"hello world\n"));
//! ```

pub mod attempts;
mod error;
mod reader;
mod request;
mod separators;
mod watermarks;
mod writer;

pub use error::{Error, ReadResult};
pub use reader::{Progress, ReadBuffer};
pub use request::ReadRequest;
pub use separators::Separators;
pub use watermarks::WriteLimits;
pub use writer::{DrainStatus, WriteBuffer, WriterState};

/// asyncio's `_DEFAULT_LIMIT`: the default reader limit, 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;
