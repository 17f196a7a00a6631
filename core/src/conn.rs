//! One connection's engine: both buffers and every rule of a connection's
//! life (reading on demand, the single waiter, drain, the pump's next step,
//! closing, `write_eof`, loss), with no I/O and no runtime.
//!
//! A backend owns a [`Connection`] behind its own lock, moves bytes
//! between it and a transport, and wakes its waiters as the returned
//! [`Wake`] says. It decides no asyncio rule itself:
//!
//! * a read call asks [`Connection::poll_read`] what to do next: finish,
//!   [`ReadStep::Receive`] once more from the transport (into
//!   [`Connection::receive_with`]), or wait for the connection to close;
//! * the pump asks [`Connection::pump_step`] and reports back with
//!   [`Connection::sent`], [`Connection::eof_sent`] or
//!   [`Connection::lost`];
//! * `drain` and `wait_closed` ask [`Connection::poll_drain`] and
//!   [`Connection::closed_status`];
//! * `into-stream` asks [`Connection::hand_over`]; the stream is then
//!   filled by [`ReadCall::stream_chunk`] calls, the only reads left.
//!
//! The transport is read only while a call waits for data: the strongest
//! form of asyncio's `pause_reading`, so nothing accumulates for a reader
//! that does not read. A read for a separator search receives up to
//! [`MAX_RECV`] bytes, as asyncio's transport does whatever the limit, so
//! the limit outcomes are asyncio's for the same arrival of bytes (see
//! [`ReadRequest::receive_size`]).

use std::time::Duration;

use bytes::buf::Limit;
use bytes::{Bytes, BytesMut};

use crate::budget::{ByteBudget, Charge};
use crate::caps::{Caps, Permit};
use crate::wire::Sealed;
use crate::{
    DrainStatus, Error, Progress, ReadBuffer, ReadRequest, ReadResult, TlsDetails, WriteBuffer,
    WriterState,
};

/// asyncio's `max_size`: the most bytes one transport read receives.
pub const MAX_RECV: usize = 256 * 1024;

/// The most bytes handed to a transport in one write (small writes are
/// coalesced up to it).
pub const MAX_SEND: usize = 256 * 1024;

/// Which waiters an event concerns; the backend wakes them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[must_use = "the backend must wake what changed"]
pub struct Wake {
    /// The waiting read call.
    pub reader: bool,
    /// `drain` and `wait_closed` calls.
    pub writers: bool,
    /// The pump.
    pub pump: bool,
}

impl Wake {
    /// Nobody.
    pub const NONE: Wake = Wake {
        reader: false,
        writers: false,
        pump: false,
    };
    /// Everyone: the reader, the writers and the pump.
    pub const ALL: Wake = Wake {
        reader: true,
        writers: true,
        pump: true,
    };
}

/// What a read call does next.
#[derive(Debug)]
pub enum ReadStep {
    /// The call is finished, with this result.
    Done(ReadResult),
    /// Read once from the transport, at most `max` bytes, into
    /// [`Connection::receive_with`] (or report EOF with
    /// [`Connection::received_eof`], or loss with [`Connection::lost`]),
    /// then ask again.
    Receive {
        /// The most bytes to receive.
        max: usize,
    },
    /// `close()` was called: asyncio stops reading, so wait until the
    /// connection is closed (the reader then has EOF or the error), then
    /// ask again.
    WaitForClose,
}

/// What a transport did with bytes handed to it without waiting (see
/// [`Connection::send_now`]).
#[derive(Debug, Default)]
pub struct SentNow {
    /// The bytes it took.
    pub taken: usize,
    /// The rest, for the engine to send first later (`None` if all were
    /// taken, or the backend keeps the rest itself).
    pub refused: Option<Bytes>,
    /// The backend keeps a rest of its own (a write left in flight): its
    /// pump must finish it.
    pub kept: bool,
}

/// What the pump does next.
#[derive(Debug)]
pub enum PumpStep {
    /// Hand these bytes to the transport, then report with
    /// [`Connection::sent`] (and [`Connection::requeue_unsent`] for a part
    /// it refused).
    Send(Bytes),
    /// `write_eof`: everything is sent; shut the write half down, then
    /// report with [`Connection::eof_sent`].
    ShutdownWrite,
    /// `close`: everything is sent; send `goodbye` (a TLS connection's
    /// `close_notify`; its failure does not stop closing), close the
    /// transport, then report with [`Connection::lost`] (`None` unless
    /// closing failed).
    Close {
        /// Bytes to send before the transport ends.
        goodbye: Option<Bytes>,
    },
    /// The TLS layer refused to encrypt: lose the connection with this.
    Fail(Error),
    /// Nothing to do until woken.
    Idle,
    /// The connection is closed: the pump ends.
    Stop,
}

/// One `drain` call: whether it has waited. asyncio answers a drain that
/// waits when the connection is lost differently from one that begins
/// after it (see [`Connection::poll_drain`]).
#[derive(Debug, Default)]
pub struct DrainCall {
    waited: bool,
}

impl DrainCall {
    /// Whether the call has waited (an answer of `None` was given).
    pub fn waited(&self) -> bool {
        self.waited
    }
}

/// One read call: its request, and whether it holds the reader's single
/// waiter slot. A call that ends unfinished (cancelled) must be given to
/// [`Connection::abandon_read`], which loses no byte.
#[derive(Debug)]
pub struct ReadCall {
    request: Option<ReadRequest>,
    waiting: bool,
    /// The call fills the handed-over stream (see [`Connection::hand_over`]).
    for_stream: bool,
}

impl ReadCall {
    /// A call carrying out `request`.
    pub fn new(request: ReadRequest) -> Self {
        Self {
            request: Some(request),
            waiting: false,
            for_stream: false,
        }
    }

    /// A call that takes the next chunk of at most `max` bytes for the
    /// stream the reader was handed over to: `read(max)`, the one read
    /// still allowed after [`Connection::hand_over`].
    pub fn stream_chunk(max: usize) -> Self {
        Self {
            for_stream: true,
            ..Self::new(ReadRequest::read(i64::try_from(max).unwrap_or(i64::MAX)))
        }
    }

    /// Whether the call still has something to give back if abandoned.
    pub fn is_pending(&self) -> bool {
        self.request.is_some() || self.waiting
    }
}

/// One connection: asyncio's `StreamReader`, `StreamWriter` and the
/// transport's state, minus the transport.
#[derive(Debug)]
pub struct Connection {
    read: ReadBuffer,
    write: WriteBuffer,
    caps: Caps,
    /// This connection's part of its store's byte budget.
    charge: Charge,
    /// Bytes the waiting `read(-1)` took out of the buffer, still held.
    read_taken: usize,
    /// The TLS session the wire bytes go through, on a TLS connection.
    sealed: Option<Box<Sealed>>,
    /// The reader's bytes go to a stream (`into-stream`).
    handed_over: bool,
    /// `start_tls` holds the transport for its handshake.
    upgrading: bool,
    /// This connection's place under the connection cap, given back when
    /// it closes.
    permit: Option<Permit>,
}

impl Connection {
    /// An open connection whose reader is `read` (its limit validated).
    pub fn new(read: ReadBuffer) -> Self {
        Self::with_caps(read, Caps::default())
    }

    /// An open connection that holds no more than `caps` allow.
    pub fn with_caps(read: ReadBuffer, caps: Caps) -> Self {
        Self {
            read,
            write: WriteBuffer::default(),
            caps,
            charge: Charge::default(),
            read_taken: 0,
            sealed: None,
            handed_over: false,
            upgrading: false,
            permit: None,
        }
    }

    /// The connection also holds no more than `budget` has left: it is
    /// charged for what it holds (unread, taken by a `read(-1)`, unsent),
    /// receives only into room the budget grants, and refuses a write past
    /// it with `access-denied` naming the budget.
    pub fn charging(mut self, budget: ByteBudget) -> Self {
        self.charge = Charge::new(budget);
        self.settle();
        self
    }

    /// The connection holds `permit` (its place under the connection cap)
    /// until it closes.
    pub fn holding(mut self, permit: Option<Permit>) -> Self {
        self.permit = permit;
        self
    }

    /// The bytes this connection holds: unread, taken by a waiting
    /// `read(-1)`, and written but not yet sent.
    pub fn held(&self) -> u64 {
        (self.read.buffered() + self.read_taken) as u64 + self.write.size()
    }

    /// Brings the budget's charge to what is held, keeping any room
    /// reserved for a receive under way.
    fn settle(&mut self) {
        let held = self.held();
        let reserved = self.charge.reserved();
        self.charge.settle(held, reserved);
    }

    /// As [`settle`](Self::settle), once a receive is over: its room is
    /// no longer reserved.
    fn settle_received(&mut self) {
        let held = self.held();
        self.charge.settle(held, 0);
    }

    /// The reader's buffer (for `at_eof`, `limit`).
    pub fn reader(&self) -> &ReadBuffer {
        &self.read
    }

    /// The writer's buffer (for sizes, limits, `is_closing`).
    pub fn writer(&self) -> &WriteBuffer {
        &self.write
    }

    // ---- reading ----

    /// The next step of `call`. The first time it must wait, the call
    /// claims the reader's single waiter slot (asyncio's `_wait_for_data`):
    /// a second concurrent call finishes at once with `busy`.
    pub fn poll_read(&mut self, call: &mut ReadCall) -> ReadStep {
        let Some(request) = call.request.as_mut() else {
            return ReadStep::Done(Err(Error::Other("read polled after it finished".into())));
        };
        // Once handed over, the stream's chunks are the only reads: any
        // other would take bytes out of the middle of the stream.
        if self.handed_over && !call.for_stream {
            let name = request.name();
            call.request = None;
            return ReadStep::Done(Err(Error::Closed(format!(
                "{name}() on a reader whose bytes were handed over to a stream"
            ))));
        }
        if let Progress::Done(result) = self.read.poll(request) {
            call.request = None;
            if std::mem::take(&mut call.waiting) {
                self.read.end_wait();
            }
            self.read_taken = 0;
            self.settle();
            return ReadStep::Done(result);
        }
        if !call.waiting {
            if let Err(busy) = self.read.begin_wait(request) {
                call.request = None;
                return ReadStep::Done(Err(busy));
            }
            call.waiting = true;
        }
        if self.stops_reading() {
            return ReadStep::WaitForClose;
        }
        let mut max = request.receive_size(self.read.buffered());
        if let Some(cap) = self.caps.read {
            let held = self.read.buffered() + request.taken();
            if held >= cap || request.needs().is_some_and(|n| n > cap) {
                let error = Error::AccessDenied(format!(
                    "{}() would hold more than this connection's read buffer cap of {cap} bytes",
                    request.name()
                ));
                self.abandon_read(call);
                return ReadStep::Done(Err(error));
            }
            max = max.min(cap - held);
        }
        self.read_taken = request.taken();
        let held = self.held();
        let granted = self.charge.reserve(held, max as u64) as usize;
        if granted == 0 && max > 0 {
            let error = self
                .charge
                .budget()
                .refusal(&format!("{}() cannot receive more", request.name()));
            self.abandon_read(call);
            return ReadStep::Done(Err(error));
        }
        ReadStep::Receive { max: granted }
    }

    /// `request` answered from what is buffered, without waiting (the
    /// synchronous fast path of `try-readline`): the result `poll_read`
    /// would finish with at once, or `None` when it would have to wait
    /// (nothing is taken then). As asyncio, an answer already buffered is
    /// given even while another call waits.
    pub fn try_read(&mut self, mut request: ReadRequest) -> Option<Result<Bytes, Error>> {
        if self.handed_over {
            return None;
        }
        let answer = match self.read.poll(&mut request) {
            Progress::Done(result) => Some(result),
            _ => {
                self.read.abandon(request);
                None
            }
        };
        self.settle();
        answer
    }

    /// `into-stream`: from now on the reader's bytes (what is buffered
    /// first) go to one stream, filled by [`ReadCall::stream_chunk`] calls;
    /// every other read is `closed`. `busy` while a read waits (it would
    /// race the stream for bytes) or after a first hand-over.
    pub fn hand_over(&mut self) -> Result<(), Error> {
        if self.handed_over || self.read.is_waiting() {
            return Err(Error::busy("into_stream"));
        }
        self.handed_over = true;
        Ok(())
    }

    /// Whether the reader's bytes were handed over to a stream.
    pub fn is_handed_over(&self) -> bool {
        self.handed_over
    }

    /// `readline()` answered from what is buffered in its common case (see
    /// [`ReadBuffer::try_line`]): the per-line fast path of a client's
    /// read-ahead buffer. `None`: let a readline request decide.
    pub fn try_readline(&mut self) -> Option<Bytes> {
        if self.handed_over {
            return None;
        }
        let line = self.read.try_line();
        if line.is_some() {
            self.settle();
        }
        line
    }

    /// Ends a call that will not be polled again (cancelled): bytes a
    /// `read(-1)` had taken go back to the buffer's front, and the waiter
    /// slot is freed. Nothing received is lost.
    pub fn abandon_read(&mut self, call: &mut ReadCall) {
        if let Some(request) = call.request.take() {
            self.read.abandon(request);
        }
        if std::mem::take(&mut call.waiting) {
            self.read.end_wait();
        }
        self.read_taken = 0;
        self.settle_received();
    }

    /// Receives from a plain transport straight into the reader's buffer:
    /// `fill` gets at most `max` bytes of room (see
    /// [`ReadBuffer::feed_with`]). TLS records go to
    /// [`receive_wire`](Self::receive_wire) instead.
    pub fn receive_with<R>(
        &mut self,
        max: usize,
        fill: impl FnOnce(&mut Limit<&mut BytesMut>) -> R,
    ) -> R {
        let filled = self.read.feed_with(max, fill);
        self.settle_received();
        filled
    }

    /// Whether `call`, which [`poll_read`](Self::poll_read) just asked to
    /// receive, may take its bytes from a plain transport straight into the
    /// stream reader's memory: a stream chunk with nothing buffered before
    /// it (so its answer would be exactly what the transport gives) on a
    /// connection that is not TLS. Then no byte passes through this buffer.
    pub fn may_receive_direct(&self, call: &ReadCall) -> bool {
        call.for_stream
            && call.request.is_some()
            && self.sealed.is_none()
            && self.read.buffered() == 0
            && !self.read.eof_received()
    }

    /// `n` bytes (at least one) a stream chunk received straight into the
    /// stream reader's memory (see
    /// [`may_receive_direct`](Self::may_receive_direct)): the call ends with
    /// them, as it would have ended with the same bytes buffered first.
    /// EOF and loss are reported as for any receive.
    pub fn received_direct(&mut self, call: &mut ReadCall, n: usize) {
        debug_assert!(n > 0 && self.may_receive_direct(call));
        call.request = None;
        if std::mem::take(&mut call.waiting) {
            self.read.end_wait();
        }
        self.read_taken = 0;
        self.settle_received();
    }

    /// The transport has nothing to receive yet: a reader left waiting
    /// holds no receive room, neither memory (see
    /// [`ReadBuffer::release_room`]) nor the budget's room reserved for the
    /// receive (the next [`poll_read`](Self::poll_read) reserves it again),
    /// so waiting readers leave the budget to connections that receive.
    pub fn receive_idle(&mut self) {
        self.read.release_room();
        self.settle_received();
    }

    /// Receives wire bytes the transport read into a vector: on a plain
    /// connection taken over without a copy when nothing is buffered,
    /// over TLS decrypted (the peer's `close_notify` is EOF). A TLS
    /// failure is the error to lose the connection with.
    pub fn receive_wire_vec(&mut self, data: Vec<u8>) -> Result<(), Error> {
        if self.sealed.is_none() {
            self.receive_vec(data);
            return Ok(());
        }
        self.receive_wire(&data)
    }

    /// Receives wire bytes from a transport that keeps its own buffer
    /// (see [`receive_wire_vec`](Self::receive_wire_vec)).
    pub fn receive_wire(&mut self, data: &[u8]) -> Result<(), Error> {
        let Some(sealed) = self.sealed.as_deref_mut() else {
            self.receive(data);
            return Ok(());
        };
        let read = &mut self.read;
        let closed = sealed.open(data, |plain| {
            if !read.eof_received() {
                read.feed_data(plain);
            }
        });
        self.settle_received();
        if closed? {
            self.received_eof();
        }
        Ok(())
    }

    /// Whether the transport's bytes are TLS records: a backend that
    /// receives into the reader's buffer ([`receive_with`](Self::receive_with))
    /// receives them elsewhere first ([`receive_wire`](Self::receive_wire)).
    pub fn is_sealed(&self) -> bool {
        self.sealed.is_some()
    }

    /// Receives `data`, plaintext in a vector (taken over without a copy
    /// when nothing is buffered).
    pub fn receive_vec(&mut self, data: Vec<u8>) {
        self.read.feed_vec(data);
        self.settle_received();
    }

    /// Receives the bytes of `data` after its first `front` bytes, which
    /// are free room (see [`ReadBuffer::feed_vec_after`]).
    pub fn receive_vec_after(&mut self, data: Vec<u8>, front: usize) {
        self.read.feed_vec_after(data, front);
        self.settle_received();
    }

    /// Receives `data`, plaintext the transport holds in its own buffer.
    pub fn receive(&mut self, data: &[u8]) {
        if !data.is_empty() && !self.read.eof_received() {
            self.read.feed_data(data);
        }
        self.settle_received();
    }

    /// The peer sent EOF (asyncio's `eof_received`); writing goes on.
    pub fn received_eof(&mut self) {
        if !self.read.eof_received() {
            self.read.feed_eof();
        }
        self.settle_received();
    }

    // ---- writing ----

    /// `write(data)`: queue it; never waits. After `write_eof` it fails;
    /// once closing or closed the data is discarded and `drain` reports it.
    pub fn write(&mut self, data: impl Into<Bytes>) -> Result<Wake, Error> {
        let data = data.into();
        self.check_write_cap(data.len())?;
        let written = self.write.write(data);
        self.settle();
        written?;
        Ok(self.pump_if_pending())
    }

    /// `writelines(data)`: `write` of each item, in order.
    pub fn writelines<I>(&mut self, data: I) -> Result<Wake, Error>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        // Without a cap nothing needs the total first: no collecting.
        if self.caps.write.is_none() && self.charge.budget().max().is_none() {
            let written = data.into_iter().try_for_each(|item| self.write.write(item));
            self.settle();
            written?;
            return Ok(self.pump_if_pending());
        }
        let items: Vec<Bytes> = data.into_iter().map(Into::into).collect();
        self.check_write_cap(items.iter().map(Bytes::len).sum())?;
        let written = items
            .into_iter()
            .try_for_each(|item| self.write.write(item));
        self.settle();
        written?;
        Ok(self.pump_if_pending())
    }

    /// Refuses a write of `len` bytes that would buffer more than the cap
    /// or than the store's budget has left, and charges the budget for it
    /// (only while the writer accepts writes: once closing they are
    /// discarded anyway).
    fn check_write_cap(&mut self, len: usize) -> Result<(), Error> {
        if !self.may_send_now() {
            return Ok(());
        }
        if let Some(cap) = self.caps.write {
            let total = self.write.size().saturating_add(len as u64);
            if total > cap {
                return Err(Error::AccessDenied(format!(
                    "a write of {len} bytes would buffer {total} bytes, above this \
                     connection's write buffer cap of {cap} bytes (drain first)"
                )));
            }
        }
        self.charge
            .try_grow(len as u64, &format!("a write of {len} bytes is refused"))
    }

    fn pump_if_pending(&self) -> Wake {
        Wake {
            pump: self.write.has_pending(),
            ..Wake::NONE
        }
    }

    /// Whether a backend may hand the next chunk to the transport straight
    /// from `write` (asyncio's `write` tries the socket first): only while
    /// the writer is open; the backend must also know no send is in flight.
    pub fn may_send_now(&self) -> bool {
        *self.write.state() == crate::WriterState::Open
    }

    /// Takes the next wire bytes for a send that does not wait (see
    /// [`may_send_now`](Self::may_send_now)): a chunk, over TLS its
    /// ciphertext; none while an earlier chunk is still on its way (taken
    /// and not wholly reported; over TLS that is until all its ciphertext
    /// was taken, refused records included). On a backend whose pump runs
    /// on another thread, a `write` can find the transport free between
    /// the pump's step and its send, and would put its bytes first. Report
    /// with [`sent`](Self::sent) and
    /// [`requeue_unsent`](Self::requeue_unsent); an error (TLS refused to
    /// encrypt) is the one to lose the connection with.
    pub fn take_for_send_now(&mut self) -> Option<Result<Bytes, Error>> {
        if !self.may_send_now() || self.write.is_sending() {
            return None;
        }
        self.next_wire_chunk()
    }

    /// Whether wire bytes wait for the pump: written ones, or records the
    /// transport refused.
    pub fn has_unsent(&self) -> bool {
        self.write.has_pending() || self.sealed.as_deref().is_some_and(Sealed::has_refused)
    }

    /// `write`'s send at once (asyncio's `write` tries the socket first):
    /// when the backend's sending half is free (`sink`: here, with no send
    /// of its own in flight) the next wire bytes go to `send`, which hands
    /// them to it without waiting and says what it took. What the backend
    /// does not keep itself goes back first in line. Returns what to wake:
    /// the writers once bytes count as sent, the pump for whatever is left;
    /// an error is the one to lose the connection with.
    pub fn send_now<S>(
        &mut self,
        sink: Option<S>,
        send: impl FnOnce(S, Bytes) -> Result<SentNow, Error>,
    ) -> Result<Wake, Error> {
        let mut wake = Wake::NONE;
        let mut kept = false;
        if let Some(sink) = sink
            && let Some(bytes) = self.take_for_send_now()
        {
            let sent = send(sink, bytes?)?;
            if let Some(refused) = sent.refused {
                self.requeue_unsent(refused);
            }
            if sent.taken > 0 {
                wake = self.sent(sent.taken);
            }
            kept = sent.kept;
        }
        wake.pump = kept || self.has_unsent();
        Ok(wake)
    }

    /// [`send_now`](Self::send_now) for a transport that keeps nothing of
    /// a send it did not finish: `send` says how many bytes it took, and
    /// the rest goes back first in line.
    pub fn send_now_keeping_nothing<S>(
        &mut self,
        sink: Option<S>,
        send: impl FnOnce(S, &[u8]) -> Result<usize, Error>,
    ) -> Result<Wake, Error> {
        self.send_now(sink, |sink, bytes| {
            let taken = send(sink, &bytes)?.min(bytes.len());
            Ok(SentNow {
                taken,
                refused: Some(bytes.slice(taken..)),
                kept: false,
            })
        })
    }

    /// `write(data)` and its send at once, for bytes the backend only
    /// borrows (a stream's chunk in the writer's memory), to a transport
    /// that keeps nothing of a send it did not finish: `send` hands bytes to
    /// the free `sink` without waiting and says how many it took. When
    /// nothing is queued before `data` on a plain connection, `send` gets
    /// `data` itself and only what it leaves is copied into the buffer
    /// (asyncio's `write`: `sock.send(data)`, then buffer the rest);
    /// otherwise this is [`write`](Self::write) of a copy, then
    /// [`send_now`](Self::send_now). The outer error is `write`'s (the
    /// write is refused); the inner one is the transport's, to lose the
    /// connection with.
    pub fn write_through<S>(
        &mut self,
        data: &[u8],
        sink: Option<S>,
        send: impl FnOnce(S, &[u8]) -> Result<usize, Error>,
    ) -> Result<Result<Wake, Error>, Error> {
        let first_in_line = !data.is_empty()
            && self.may_send_now()
            && self.sealed.is_none()
            && !self.has_unsent()
            && !self.write.is_sending();
        let sink = match sink {
            Some(sink) if first_in_line => sink,
            sink => {
                let _ = self.write(Bytes::copy_from_slice(data))?;
                return Ok(self.send_now_keeping_nothing(sink, send));
            }
        };
        self.check_write_cap(data.len())?;
        let taken = match send(sink, data) {
            Ok(taken) => taken.min(data.len()),
            Err(error) => {
                self.settle();
                return Ok(Err(error));
            }
        };
        let written = self.write.write(Bytes::copy_from_slice(&data[taken..]));
        self.settle();
        written?;
        Ok(Ok(self.pump_if_pending()))
    }

    /// The next chunk as wire bytes: ciphertext the transport refused
    /// first; then the write buffer's next chunk, sealed over TLS.
    fn next_wire_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        if let Some(refused) = self.sealed.as_deref_mut().and_then(Sealed::take_refused) {
            return Some(Ok(refused));
        }
        let chunk = self.write.take_chunk(MAX_SEND)?;
        Some(match self.sealed.as_deref_mut() {
            None => Ok(chunk),
            Some(sealed) => sealed.seal(&chunk),
        })
    }

    /// `call`'s answer, or `None` while it must wait. A `drain` that begins
    /// reports the reader's stored error first (as asyncio's `drain` raises
    /// the reader's exception first), then the writer's rule
    /// ([`WriteBuffer::drain_status`]); once it waited, it ends as asyncio
    /// wakes a waiting drain ([`WriteBuffer::waiting_drain_status`]).
    pub fn poll_drain(&self, call: &mut DrainCall) -> Option<Result<(), Error>> {
        let status = if call.waited {
            self.write.waiting_drain_status()
        } else if let Some(error) = self.read.exception() {
            DrainStatus::Failed(error.clone())
        } else {
            self.write.drain_status()
        };
        let answer = status.answer();
        call.waited |= answer.is_none();
        answer
    }

    /// A `drain` call's answer when it needs no wait, else `None` (the
    /// first poll of a fresh call: nothing is registered or changed). The
    /// synchronous fast path of `drain`.
    pub fn try_drain(&self) -> Option<Result<(), Error>> {
        self.poll_drain(&mut DrainCall::default())
    }

    /// Whether everything written was sent (see
    /// [`WriteBuffer::flush_status`]); the reader's stored error first, as
    /// `drain`.
    pub fn flush_status(&mut self) -> DrainStatus {
        if let Some(error) = self.read.exception() {
            return DrainStatus::Failed(error.clone());
        }
        self.write.flush_status()
    }

    /// `write_eof()`: shut the write half once flushed. A no-op once the
    /// writer is closing or closed, as asyncio's transport returns then.
    /// Over TLS it is refused (`unsupported`, asyncio's
    /// `NotImplementedError`): TLS has no half-close.
    pub fn write_eof(&mut self) -> Result<Wake, Error> {
        if self.sealed.is_some() {
            return Err(crate::write_eof_unsupported());
        }
        self.write.write_eof();
        Ok(Wake {
            pump: true,
            ..Wake::NONE
        })
    }

    /// `can_write_eof()`: false over TLS.
    pub fn can_write_eof(&self) -> bool {
        self.sealed.is_none()
    }

    /// The transport now carries TLS through `layer` (after a handshake,
    /// or `start_tls`): its bytes are records from here on, and closing may
    /// take the layer's shutdown timeout (asyncio's `ssl_shutdown_timeout`,
    /// see [`Self::shutdown_timer`]). `early` is what came with the
    /// handshake's last flight: plaintext for the reader, and whether the
    /// peer closed already.
    #[cfg(feature = "tls")]
    pub fn secure(&mut self, layer: crate::tls::Layer, early: crate::tls::Received) {
        self.upgrading = false;
        self.sealed = Some(Box::new(Sealed::new(layer)));
        self.receive(&early.plaintext);
        if early.peer_closed {
            self.received_eof();
        }
    }

    /// The timer that bounds a closing TLS connection (the pump runs it:
    /// see [`crate::pump::drive`]): once `close()` was called on a TLS
    /// connection that is not closed yet, flushing what is buffered and
    /// sending `close_notify` may take this long, after which
    /// [`Self::shutdown_expired`] gives the error to lose the connection
    /// with (asyncio's `ssl_shutdown_timeout`: a peer that stops reading
    /// cannot hold a closing TLS connection open). `None` otherwise: a
    /// plain connection closes once flushed, however long that takes, as
    /// asyncio's.
    pub fn shutdown_timer(&self) -> Option<Duration> {
        match self.write.state() {
            WriterState::Closing => self.sealed.as_deref().map(Sealed::shutdown_timeout),
            _ => None,
        }
    }

    /// The shutdown timer ran out: the error to lose the connection with
    /// (asyncio's `TimeoutError('SSL shutdown timed out')`, which
    /// `wait_closed` and `drain` then raise), or `None` if it closed in
    /// time.
    pub fn shutdown_expired(&self) -> Option<Error> {
        self.shutdown_timer()
            .map(|_| crate::tls_info::shutdown_timed_out())
    }

    /// Whether `start_tls` may go on: not on a connection that carries TLS
    /// already (`invalid-argument`), nor on one that is closing (lost), nor
    /// after `write_eof` (`closed`: the handshake needs the write half, and
    /// asyncio's fails writing to it). Asked before the flush and again
    /// after it.
    pub fn start_tls_status(&self) -> Result<(), Error> {
        if self.sealed.is_some() {
            return Err(Error::InvalidArgument(
                "the connection is already using TLS".into(),
            ));
        }
        match self.write.state() {
            WriterState::Open => Ok(()),
            WriterState::EofRequested | WriterState::EofSent => {
                Err(crate::upgrade_needs_both_directions())
            }
            WriterState::Closing | WriterState::Closed(_) => Err(Error::connection_lost()),
        }
    }

    /// `start_tls` took the transport for its handshake: the pump waits
    /// until `secure` (with the `tls` feature) or the connection's loss.
    pub fn begin_upgrade(&mut self) {
        self.upgrading = true;
    }

    /// `get_extra_info('ssl_object')`'s details, over TLS.
    pub fn tls(&self) -> Option<&TlsDetails> {
        self.sealed.as_deref().map(Sealed::details)
    }

    /// `close()`: flush, then close; reading stops at once.
    pub fn close(&mut self) -> Wake {
        self.write.close();
        Wake::ALL
    }

    /// Whether reading has stopped: asyncio's transport stops reading on
    /// `close()`. A receive under way (one a backend cannot poll, as a
    /// byte stream's read in flight) ends early once this holds; what it
    /// had received still goes to the engine.
    pub fn stops_reading(&self) -> bool {
        self.write.is_closing()
    }

    /// Whether `close` can be carried out at once, without the pump: the
    /// writer is closing with nothing left to send, and there is no TLS
    /// goodbye (`close_notify`) to send first. The caller then ends the
    /// transport and reports [`Connection::lost`] with no error, as the
    /// pump would (no task has to wake just to close).
    pub fn closes_at_once(&self) -> bool {
        self.sealed.is_none() && self.write.should_close()
    }

    /// `set_write_buffer_limits(high, low)`.
    pub fn set_write_buffer_limits(
        &mut self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<Wake, Error> {
        self.write.set_limits(high, low)?;
        Ok(Wake {
            writers: true,
            ..Wake::NONE
        })
    }

    /// What `wait_closed` returns once the connection is closed (the error
    /// it was lost with, if any); `None` while it is still open.
    pub fn closed_status(&self) -> Option<Result<(), Error>> {
        self.write
            .is_closed()
            .then(|| self.write.close_error().cloned().map_or(Ok(()), Err))
    }

    /// Whether the connection is fully closed.
    pub fn is_closed(&self) -> bool {
        self.write.is_closed()
    }

    // ---- the pump ----

    /// The pump's next step. While `start_tls` holds the transport (see
    /// [`begin_upgrade`](Self::begin_upgrade)) there is none: what is
    /// written or asked meanwhile waits for the handshake, and then goes
    /// over TLS.
    pub fn pump_step(&mut self) -> PumpStep {
        if self.write.is_closed() {
            return PumpStep::Stop;
        }
        if self.upgrading {
            return PumpStep::Idle;
        }
        match self.next_wire_chunk() {
            Some(Ok(bytes)) => PumpStep::Send(bytes),
            Some(Err(error)) => PumpStep::Fail(error),
            None if self.write.should_shutdown_write() => PumpStep::ShutdownWrite,
            None if self.write.should_close() => PumpStep::Close {
                goodbye: self.sealed.as_deref_mut().map(Sealed::goodbye),
            },
            None => PumpStep::Idle,
        }
    }

    /// The transport took `n` wire bytes of what it was handed. Over TLS
    /// the writer's bytes count as sent once all their ciphertext was.
    pub fn sent(&mut self, n: usize) -> Wake {
        let n = match self.sealed.as_deref_mut() {
            Some(sealed) => sealed.taken(n),
            None => n,
        };
        let writers = self.write.complete_send(n);
        self.settle();
        Wake {
            writers,
            ..Wake::NONE
        }
    }

    /// The transport refused `rest` of the wire bytes it was handed: they
    /// go first again.
    pub fn requeue_unsent(&mut self, rest: Bytes) {
        match self.sealed.as_deref_mut() {
            Some(sealed) => sealed.refuse(rest),
            None => self.write.requeue_unsent(rest),
        }
    }

    /// The write half was shut down.
    pub fn eof_sent(&mut self) {
        self.write.eof_sent();
    }

    // ---- the end ----

    /// asyncio's `connection_lost(error)`, also for `abort()` (`None`) and
    /// the end of `close()`: the writer is closed with `error` (its buffer
    /// discarded); the reader gets the error, or EOF for a clean close.
    /// Only the first call counts; it returns [`Wake`] for everyone, or
    /// `None` if the connection was already closed.
    pub fn lost(&mut self, error: Option<Error>) -> Option<Wake> {
        if !self.write.connection_lost(error.clone()) {
            return None;
        }
        self.permit = None;
        match error {
            Some(error) => self.read.set_exception(error),
            None => self.received_eof(),
        }
        self.settle();
        Some(Wake::ALL)
    }
}

#[cfg(all(test, feature = "tls"))]
#[path = "wire_tests.rs"]
mod wire_tests;
