//! asyncio's `StreamReader` buffer: every reader rule, no I/O.

use bytes::buf::Limit;
use bytes::{BufMut, Bytes, BytesMut};

use crate::request::{Kind, Scan};
use crate::{Error, ReadRequest, ReadResult};

/// The answer of [`ReadBuffer::poll`].
#[derive(Debug)]
pub enum Progress {
    /// The request is finished, with its result.
    Done(ReadResult),
    /// More data (or EOF) must be fed before the request can finish. Call
    /// [`ReadBuffer::begin_wait`] before waiting for it.
    NeedData,
}

/// The reader's buffer and state: asyncio's `StreamReader` minus the
/// transport. A backend feeds it with [`feed_data`](Self::feed_data),
/// [`feed_eof`](Self::feed_eof) and [`set_exception`](Self::set_exception),
/// and answers calls with [`poll`](Self::poll).
#[derive(Debug)]
pub struct ReadBuffer {
    buffer: BytesMut,
    limit: usize,
    eof: bool,
    exception: Option<Error>,
    /// asyncio's `_waiter`: a call is waiting for data.
    waiting: bool,
    /// Counts changes to the buffer's front (consumes, restores): a
    /// separator scan resumes only if it is unchanged.
    front_epoch: u64,
}

/// `data` as [`Bytes`], taken over without a copy; when it is mostly
/// spare capacity, the allocation is shrunk to its bytes first (in place
/// for the allocators we run on), so a few bytes kept in a buffer do not
/// keep a large read's allocation alive.
pub fn bytes_without_slack(mut data: Vec<u8>) -> Bytes {
    if data.len() < data.capacity() / 2 {
        data.shrink_to_fit();
    }
    Bytes::from(data)
}

impl ReadBuffer {
    /// asyncio's default limit, 64 KiB.
    pub const DEFAULT_LIMIT: usize = crate::DEFAULT_LIMIT;

    /// A reader with the given `limit`; zero is invalid, as in asyncio.
    pub fn new(limit: usize) -> Result<Self, Error> {
        if limit == 0 {
            return Err(Error::InvalidArgument("Limit cannot be <= 0".into()));
        }
        Ok(Self {
            buffer: BytesMut::new(),
            limit,
            eof: false,
            exception: None,
            waiting: false,
            front_epoch: 0,
        })
    }

    /// A reader from an optional signed limit (`None` = 64 KiB), rejecting
    /// `limit <= 0` with asyncio's message.
    pub fn with_limit(limit: Option<i64>) -> Result<Self, Error> {
        match limit {
            None => Self::new(Self::DEFAULT_LIMIT),
            Some(l) => Self::new(usize::try_from(l).unwrap_or(0)),
        }
    }

    /// A reader whose every read fails with `error`: for calls that cannot
    /// return an error themselves (`wrap` with a bad `limit`), so the first
    /// read (and `drain`) reports it.
    pub fn failing(error: Error) -> Self {
        let mut reader = Self::new(Self::DEFAULT_LIMIT)
            .unwrap_or_else(|_| unreachable!("the default limit is valid"));
        reader.set_exception(error);
        reader
    }

    /// The reader's limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes buffered and not yet read.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Bytes of memory the buffer holds: what is buffered and the room
    /// reserved for receiving.
    pub fn allocated(&self) -> usize {
        self.buffer.capacity()
    }

    /// A view of the buffered bytes.
    pub fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Whether EOF was fed.
    pub fn eof_received(&self) -> bool {
        self.eof
    }

    /// The stored error that every later read returns, if any.
    pub fn exception(&self) -> Option<&Error> {
        self.exception.as_ref()
    }

    /// `at_eof()`: EOF was fed and the buffer is empty.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// `feed_data` for a transport that reads into vectors of its own: an
    /// empty buffer takes `data` over as [`bytes_without_slack`] does.
    pub fn feed_vec(&mut self, data: Vec<u8>) {
        self.feed_vec_after(data, 0);
    }

    /// `feed_vec` for a vector whose first `front` bytes are free room:
    /// when what is buffered fits there (the tail of a line a read cut, as
    /// a rule), it is copied into that room and the vector becomes the
    /// buffer, so a large read is not copied to follow a few buffered
    /// bytes. Otherwise the bytes after the room are appended.
    pub fn feed_vec_after(&mut self, mut data: Vec<u8>, front: usize) {
        let front = front.min(data.len());
        if self.eof || data.len() == front {
            return;
        }
        let held = self.buffer.len();
        if held > front {
            self.buffer.extend_from_slice(&data[front..]);
            return;
        }
        // The same bytes stay first, so a scan under way stays valid.
        data[front - held..front].copy_from_slice(&self.buffer);
        let mut buffer = BytesMut::from(bytes_without_slack(data));
        bytes::Buf::advance(&mut buffer, front - held);
        self.buffer = buffer;
    }

    /// `feed_data`: append bytes from the transport. Data after EOF is a
    /// backend bug and is ignored.
    pub fn feed_data(&mut self, data: &[u8]) {
        self.feed_with(data.len(), |room| room.put_slice(data));
    }

    /// `feed_data` without a copy: `fill` reads from the transport
    /// straight into the buffer's spare room, at most `max` bytes
    /// ([`crate::MAX_RECV`], asyncio's `max_size`, for a transport read),
    /// and returns how the read went. Bytes appended after EOF are dropped.
    pub fn feed_with<R>(
        &mut self,
        max: usize,
        fill: impl FnOnce(&mut Limit<&mut BytesMut>) -> R,
    ) -> R {
        let before = self.buffer.len();
        self.buffer.reserve(max);
        let outcome = fill(&mut (&mut self.buffer).limit(max));
        if self.eof {
            debug_assert_eq!(self.buffer.len(), before, "data fed after feed_eof");
            self.buffer.truncate(before);
        }
        outcome
    }

    /// Frees the buffer's allocation when it holds no byte, so a reader
    /// that waits for data holds no room (asyncio's reader holds an empty
    /// `bytearray`; the transport's 256 KiB receive buffer is shared). The
    /// next receive allocates again.
    pub fn release_room(&mut self) {
        if self.buffer.is_empty() && self.buffer.capacity() > 0 {
            self.buffer = BytesMut::new();
        }
    }

    /// `feed_eof`: the peer will send nothing more.
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// `set_exception`: every later read fails with `error` (buffered data
    /// included, as in asyncio).
    pub fn set_exception(&mut self, error: Error) {
        self.exception = Some(error);
    }

    /// asyncio's `_wait_for_data` preamble: claims the single waiter slot
    /// (a second waiter gets `Busy`). Pair it with
    /// [`end_wait`](Self::end_wait), also when the wait is cancelled.
    pub fn begin_wait(&mut self, request: &ReadRequest) -> Result<(), Error> {
        if self.waiting {
            return Err(Error::busy(request.name()));
        }
        self.waiting = true;
        Ok(())
    }

    /// Releases the waiter slot taken by [`begin_wait`](Self::begin_wait).
    pub fn end_wait(&mut self) {
        self.waiting = false;
    }

    /// Whether a call is waiting for data.
    pub fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// Gives a request that will not be polled again (it was cancelled) back
    /// to the buffer: bytes a `read(-1)` had taken return to its front, so
    /// nothing is lost.
    pub fn abandon(&mut self, request: ReadRequest) {
        if let Kind::ToEof(taken) = request.kind
            && !taken.is_empty()
        {
            let mut restored = taken;
            restored.extend_from_slice(&self.buffer);
            self.buffer = restored;
            self.front_epoch += 1;
        }
    }

    /// Answers `request` from the buffer if it can be answered now.
    /// Repeated polls resume a separator search where it stopped, so
    /// feeding a long line byte by byte stays linear.
    pub fn poll(&mut self, request: &mut ReadRequest) -> Progress {
        let done = match &mut request.kind {
            Kind::Read(n) => self.poll_read(*n),
            Kind::ToEof(taken) => self.poll_to_eof(taken),
            Kind::Line(scan) => self.poll_line(scan),
            Kind::Until(scan) => self.poll_until(scan),
            Kind::Exactly(n) => self.poll_exactly(*n),
        };
        match done {
            Some(result) => Progress::Done(result),
            None => Progress::NeedData,
        }
    }

    fn stored_error(&self) -> Option<ReadResult> {
        self.exception.clone().map(Err)
    }

    fn poll_read(&mut self, n: usize) -> Option<ReadResult> {
        if let Some(err) = self.stored_error() {
            return Some(err);
        }
        if n == 0 {
            return Some(Ok(Bytes::new()));
        }
        if self.buffer.is_empty() && !self.eof {
            return None;
        }
        // Works even when fewer than n bytes are buffered.
        let take = n.min(self.buffer.len());
        Some(Ok(self.consume(take)))
    }

    fn poll_to_eof(&mut self, taken: &mut BytesMut) -> Option<ReadResult> {
        if let Some(err) = self.stored_error() {
            return Some(err);
        }
        // Move what is buffered out at once (asyncio reads limit-sized
        // blocks), so the buffer stays small while this request runs.
        let all = self.consume(self.buffer.len());
        taken.extend_from_slice(&all);
        if self.eof {
            return Some(Ok(std::mem::take(taken).freeze()));
        }
        None
    }

    fn poll_exactly(&mut self, n: usize) -> Option<ReadResult> {
        if let Some(err) = self.stored_error() {
            return Some(err);
        }
        if n == 0 {
            return Some(Ok(Bytes::new()));
        }
        if self.buffer.len() >= n {
            return Some(Ok(self.consume(n)));
        }
        if self.eof {
            let partial = self.consume(self.buffer.len());
            return Some(Err(Error::IncompleteRead {
                partial,
                expected: Some(n as u64),
            }));
        }
        None
    }

    fn poll_line(&mut self, scan: &mut Scan) -> Option<ReadResult> {
        match self.poll_until(scan)? {
            Ok(line) => Some(Ok(line)),
            // EOF without a newline: the partial line is the answer.
            Err(Error::IncompleteRead { partial, .. }) => Some(Ok(partial)),
            // Overrun: drop the line and its separator if it was found,
            // else the whole buffer, so the next readline starts afresh.
            Err(Error::LimitOverrun { message, consumed }) => {
                let consumed_len = consumed as usize;
                if self.buffer[consumed_len..].starts_with(b"\n") {
                    self.consume(consumed_len + 1);
                } else {
                    self.consume(self.buffer.len());
                }
                Some(Err(Error::LimitOverrun { message, consumed }))
            }
            Err(other) => Some(Err(other)),
        }
    }

    fn poll_until(&mut self, scan: &mut Scan) -> Option<ReadResult> {
        if let Some(err) = self.stored_error() {
            return Some(err);
        }
        let seps = &scan.separators;
        let buflen = self.buffer.len();
        // Another call may have consumed data since the last poll (one that
        // did not need to wait); the scan then starts over.
        if scan.epoch != self.front_epoch {
            scan.offset = 0;
            scan.epoch = self.front_epoch;
        }
        if buflen - scan.offset >= seps.min_len() {
            if let Some((start, end)) = seps.find(&self.buffer, scan.offset) {
                if start > self.limit {
                    return Some(Err(Error::LimitOverrun {
                        message: "Separator is found, but chunk is longer than limit".into(),
                        consumed: start as u64,
                    }));
                }
                return Some(Ok(self.consume(end)));
            }
            // Only the last max_len - 1 bytes can still start a match.
            scan.offset = (buflen + 1).saturating_sub(seps.max_len());
            if scan.offset > self.limit {
                return Some(Err(Error::LimitOverrun {
                    message: "Separator is not found, and chunk exceed the limit".into(),
                    consumed: scan.offset as u64,
                }));
            }
        }
        // A complete match may arrive with the last chunk, so EOF is looked
        // at only after the buffer was searched.
        if self.eof {
            let partial = self.consume(buflen);
            return Some(Err(Error::IncompleteRead {
                partial,
                expected: None,
            }));
        }
        None
    }

    /// `readline()`'s common case without a request: a whole line within
    /// the limit is buffered and no error is stored. `None` in every other
    /// case, which a [`ReadRequest::readline`] then decides (the overrun,
    /// the partial line at EOF, the stored error, waiting).
    pub fn try_line(&mut self) -> Option<Bytes> {
        if self.exception.is_some() {
            return None;
        }
        let start = crate::separators::find_byte(b'\n', &self.buffer)?;
        if start > self.limit {
            return None;
        }
        Some(self.consume(start + 1))
    }

    /// Removes `n` bytes from the front.
    ///
    /// Taking everything hands the buffer itself over, so the bytes are
    /// not shared with what is received next (a transport can then turn
    /// them into a `Vec` without a copy).
    fn consume(&mut self, n: usize) -> Bytes {
        let out = if n == self.buffer.len() {
            std::mem::take(&mut self.buffer).freeze()
        } else {
            self.buffer.split_to(n).freeze()
        };
        self.front_epoch += 1;
        out
    }
}
