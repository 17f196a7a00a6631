//! asyncio's `StreamWriter` flow control over a transport's write buffer.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::{Error, WriteLimits};

/// Where the writer is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterState {
    /// Accepting writes.
    Open,
    /// `write_eof` was called: the buffer is flushed, then the write half
    /// shuts down; further writes are refused.
    EofRequested,
    /// The write half is shut down (EOF sent); the connection may still read.
    EofSent,
    /// `close` was called: the buffer is flushed, then the connection closes.
    Closing,
    /// The connection is closed, with the error it was lost with, if any.
    Closed(Option<Error>),
}

/// What `drain` should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainStatus {
    /// Return at once.
    Ready,
    /// Wait: writing is paused until the buffer falls to the low watermark.
    Wait,
    /// Fail with this error (the connection is closing or lost).
    Failed(Error),
}

impl DrainStatus {
    /// `drain`'s answer, or `None` while it must wait.
    pub fn answer(self) -> Option<Result<(), Error>> {
        match self {
            DrainStatus::Ready => Some(Ok(())),
            DrainStatus::Failed(error) => Some(Err(error)),
            DrainStatus::Wait => None,
        }
    }
}

/// The writer's buffer and flow-control state. `write` appends; a backend
/// pump moves chunks to the transport with [`take_chunk`](Self::take_chunk)
/// and [`complete_send`](Self::complete_send).
#[derive(Debug)]
pub struct WriteBuffer {
    queue: VecDeque<Bytes>,
    /// Bytes queued plus bytes handed to the pump and not yet confirmed.
    size: u64,
    in_flight: u64,
    limits: WriteLimits,
    /// asyncio's `_protocol_paused`.
    paused: bool,
    /// A `flush_status` caller waits for the buffer to empty.
    flush_waiting: bool,
    state: WriterState,
    /// `write_eof` was called while the writer was open: asyncio's
    /// `_eof`, which refuses every later `write`, also once the
    /// connection is closing or lost.
    eof_called: bool,
}

impl Default for WriteBuffer {
    fn default() -> Self {
        Self::new(WriteLimits::default())
    }
}

impl WriteBuffer {
    /// An open writer with the given limits.
    pub fn new(limits: WriteLimits) -> Self {
        Self {
            queue: VecDeque::new(),
            size: 0,
            in_flight: 0,
            limits,
            paused: false,
            flush_waiting: false,
            state: WriterState::Open,
            eof_called: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> &WriterState {
        &self.state
    }

    /// `get_write_buffer_size()`: bytes written and not yet sent.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The current watermarks.
    pub fn limits(&self) -> WriteLimits {
        self.limits
    }

    /// Whether writing is paused (the buffer rose above the high watermark
    /// and has not fallen to the low one).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// `is_closing()`: `close` was called or the connection is closed.
    pub fn is_closing(&self) -> bool {
        matches!(self.state, WriterState::Closing | WriterState::Closed(_))
    }

    /// `set_write_buffer_limits(high, low)`: validates, then pauses if the
    /// buffer is already above the new high watermark (as asyncio does).
    pub fn set_limits(&mut self, high: Option<u64>, low: Option<u64>) -> Result<(), Error> {
        self.limits = WriteLimits::new(high, low)?;
        self.maybe_pause();
        Ok(())
    }

    /// `write(data)`: queue `data`. Never waits. After `write_eof` it fails,
    /// also once the connection is closing or lost (asyncio's transport
    /// checks its `_eof` first); otherwise, once closing or closed, the
    /// data is discarded and `drain` reports it.
    pub fn write(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        if self.eof_called {
            return Err(Error::Closed(
                "Cannot call write() after write_eof()".into(),
            ));
        }
        if self.is_closing() {
            return Ok(());
        }
        let data = data.into();
        if data.is_empty() {
            return Ok(());
        }
        self.size += data.len() as u64;
        self.queue.push_back(data);
        self.maybe_pause();
        Ok(())
    }

    /// Whether the pump has anything to send.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Whether a chunk taken with [`take_chunk`](Self::take_chunk) is not
    /// yet reported (sent or given back): it is on its way, and nothing
    /// written after it may pass it.
    pub fn is_sending(&self) -> bool {
        self.in_flight > 0
    }

    /// Takes the next chunk to send, at most `max` bytes (small writes are
    /// coalesced). It stays counted in [`size`](Self::size) until
    /// [`complete_send`](Self::complete_send).
    pub fn take_chunk(&mut self, max: usize) -> Option<Bytes> {
        let max = max.max(1);
        let first = self.queue.pop_front()?;
        let chunk = if first.len() >= max {
            let mut first = first;
            let chunk = first.split_to(max);
            if !first.is_empty() {
                self.queue.push_front(first);
            }
            chunk
        } else if self
            .queue
            .front()
            .is_none_or(|next| first.len() + next.len() > max)
        {
            first
        } else {
            let mut merged = BytesMut::with_capacity(max);
            merged.extend_from_slice(&first);
            while let Some(next) = self.queue.front() {
                if merged.len() + next.len() > max {
                    break;
                }
                merged.extend_from_slice(next);
                self.queue.pop_front();
            }
            merged.freeze()
        };
        self.in_flight += chunk.len() as u64;
        Some(chunk)
    }

    /// Confirms that `n` bytes taken with `take_chunk` reached the
    /// transport. Returns true when this resumed writing, i.e. when waiting
    /// `drain` calls should be woken.
    pub fn complete_send(&mut self, n: usize) -> bool {
        let n = (n as u64).min(self.in_flight);
        self.in_flight -= n;
        self.size -= n;
        if self.size == 0 && std::mem::take(&mut self.flush_waiting) {
            // An empty buffer is at or below any low watermark.
            self.paused = false;
            return true;
        }
        if self.paused && self.size <= self.limits.low {
            self.paused = false;
            return true;
        }
        false
    }

    /// Gives back the unsent tail of a chunk taken with
    /// [`take_chunk`](Self::take_chunk) (a transport that took only part of
    /// it, or none): it goes first in the queue, still counted in
    /// [`size`](Self::size). Dropped if the connection is closed meanwhile.
    pub fn requeue_unsent(&mut self, rest: Bytes) {
        if rest.is_empty() || self.is_closed() {
            return;
        }
        self.in_flight = self.in_flight.saturating_sub(rest.len() as u64);
        self.queue.push_front(rest);
    }

    /// Whether everything written has been sent.
    pub fn is_flushed(&self) -> bool {
        self.size == 0
    }

    /// What a `drain` that begins now should do: fail once the connection
    /// is lost (its error, else "Connection lost"), or once `close` left
    /// nothing to send (the loss is due at once: asyncio's `drain` yields
    /// once so that it comes first); otherwise, also while a closing
    /// buffer still drains, as [`waiting_drain_status`](Self::waiting_drain_status).
    pub fn drain_status(&self) -> DrainStatus {
        match &self.state {
            WriterState::Closed(None) => DrainStatus::Failed(Error::connection_lost()),
            WriterState::Closing if self.size == 0 => DrainStatus::Failed(Error::connection_lost()),
            _ => self.waiting_drain_status(),
        }
    }

    /// What a `drain` that already waits should do. asyncio wakes its
    /// waiter when writing resumes, or when the connection is lost: with
    /// the loss's error, else with a result. So `close` does not end it,
    /// and a clean loss (the writer's own `abort`, or a finished `close`)
    /// lets it return.
    pub fn waiting_drain_status(&self) -> DrainStatus {
        match &self.state {
            WriterState::Closed(Some(err)) => DrainStatus::Failed(err.clone()),
            WriterState::Closed(None) => DrainStatus::Ready,
            _ if self.paused => DrainStatus::Wait,
            _ => DrainStatus::Ready,
        }
    }

    /// Whether everything written was sent (for `start_tls`, which
    /// upgrades only a flushed connection): like
    /// [`drain_status`](Self::drain_status), but waits for an empty buffer;
    /// while it waits, the send that empties the buffer wakes the writers.
    pub fn flush_status(&mut self) -> DrainStatus {
        match self.drain_status() {
            DrainStatus::Failed(error) => DrainStatus::Failed(error),
            _ if self.size == 0 => DrainStatus::Ready,
            _ => {
                self.flush_waiting = true;
                DrainStatus::Wait
            }
        }
    }

    /// `can_write_eof()` bookkeeping: `write_eof` flushes, then shuts the
    /// write half. A no-op once closing or after an earlier `write_eof`.
    pub fn write_eof(&mut self) {
        if self.state == WriterState::Open {
            self.state = WriterState::EofRequested;
            self.eof_called = true;
        }
    }

    /// Whether the pump should shut the write half down now: EOF was
    /// requested and the buffer is flushed.
    pub fn should_shutdown_write(&self) -> bool {
        self.state == WriterState::EofRequested && self.is_flushed()
    }

    /// Records that the write half was shut down.
    pub fn eof_sent(&mut self) {
        if self.state == WriterState::EofRequested {
            self.state = WriterState::EofSent;
        }
    }

    /// `close()`: flush what is buffered, then close.
    pub fn close(&mut self) {
        if !self.is_closing() {
            self.state = WriterState::Closing;
        }
    }

    /// Whether the pump should close the transport now: closing and flushed.
    pub fn should_close(&self) -> bool {
        self.state == WriterState::Closing && self.is_flushed()
    }

    /// `abort()` or loss of the connection: discard the buffer and mark the
    /// writer closed with `error` (None for a clean close). Returns true if
    /// this changed the state, i.e. waiters should be woken. The first
    /// error recorded is kept.
    pub fn connection_lost(&mut self, error: Option<Error>) -> bool {
        if matches!(self.state, WriterState::Closed(_)) {
            return false;
        }
        self.queue.clear();
        self.size = 0;
        self.in_flight = 0;
        self.paused = false;
        self.state = WriterState::Closed(error);
        true
    }

    /// Whether the connection is fully closed (what `wait_closed` awaits).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, WriterState::Closed(_))
    }

    /// The error the connection was lost with, if it is closed with one.
    pub fn close_error(&self) -> Option<&Error> {
        match &self.state {
            WriterState::Closed(err) => err.as_ref(),
            _ => None,
        }
    }

    fn maybe_pause(&mut self) {
        if !self.paused && self.size > self.limits.high {
            self.paused = true;
        }
    }
}
