//! The sink's byte stream: wit-bindgen's stream writer, plus a write that a
//! synchronous export may start without waiting ([`SinkStream::send_now`]).
//!
//! `write` is a synchronous export: it may not block, and wit-bindgen can
//! only wait for a stream write inside a task. So a write started there
//! must finish in the call, or be left in flight for the pump to adopt.
//! When the reading side takes bytes at once (a socket with room: wasmtime
//! runs the host's consumer inside `stream.write`), the write completes in
//! the call and no task runs. When it would wait, the write stays in
//! flight (its buffer is the [`Unsent`] handed back) and the pump's next
//! write of that same buffer adopts it: [`SinkOps`] answers that write
//! with "blocked" instead of starting a second one, and wit-bindgen then
//! waits for the first one's completion event as for its own.
//!
//! A write in flight must end before the stream is dropped (wasmtime traps
//! on dropping a busy stream), and only a task may cancel it: so a
//! connection lost meanwhile leaves the stream to the pump, which adopts
//! and cancels it (`conn.rs`, `pump.rs`).

use std::alloc::Layout;
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wit_bindgen::rt::async_support::{RawStreamWrite, RawStreamWriter, StreamOps, StreamVtable};
use wit_bindgen::{AbiBuffer, StreamResult, StreamWriter};

/// Bytes taken from the engine but not yet accepted by the sink.
pub(crate) type Unsent = AbiBuffer<SinkOps>;

/// The canonical ABI's answers to `stream.write` (wit-bindgen's values).
const BLOCKED: u32 = 0xffff_ffff;
const STATUS_COMPLETED: u32 = 0x0;
const STATUS_DROPPED: u32 = 0x1;

/// What the next `stream.write` on the sink does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Starts a write (wit-bindgen's own behaviour).
    Plain,
    /// Starts a write for [`SinkStream::send_now`]: never reports
    /// "blocked" to wit-bindgen, which could not wait outside a task.
    Now,
    /// A write started by `send_now` is in flight: the next write adopts it.
    InFlight,
    /// The reading side dropped during `send_now`: the next write reports
    /// it without starting one (wasmtime traps on writing again).
    Dropped,
}

/// wit-bindgen's stream operations for `stream<u8>`, with the modes above.
#[derive(Clone)]
pub(crate) struct SinkOps {
    vtable: &'static StreamVtable<u8>,
    mode: Rc<Cell<Mode>>,
}

// SAFETY: every operation is the vtable's own, except `start_write` in the
// `InFlight` and `Dropped` modes, which reports the state of the write
// `send_now` started on the same handle with the same buffer (see the
// module docs), and in the `Now` mode, which reports "blocked" as a
// completion of 0 items while the write stays in flight on the buffer
// `send_now` then keeps alive as `Unsent`.
unsafe impl StreamOps for SinkOps {
    type Payload = u8;

    fn new(&mut self) -> u64 {
        self.vtable.new()
    }
    fn elem_layout(&self) -> Layout {
        self.vtable.elem_layout()
    }
    fn native_abi_matches_canonical_abi(&self) -> bool {
        self.vtable.native_abi_matches_canonical_abi()
    }
    fn contains_lists(&self) -> bool {
        self.vtable.contains_lists()
    }
    unsafe fn lower(&mut self, payload: u8, dst: *mut u8) {
        unsafe { self.vtable.lower(payload, dst) }
    }
    unsafe fn dealloc_lists(&mut self, dst: *mut u8) {
        unsafe { self.vtable.dealloc_lists(dst) }
    }
    unsafe fn lift(&mut self, dst: *mut u8) -> u8 {
        unsafe { self.vtable.lift(dst) }
    }
    unsafe fn start_write(&mut self, stream: u32, val: *const u8, amt: usize) -> u32 {
        match self.mode.replace(Mode::Plain) {
            Mode::Plain => unsafe { self.vtable.start_write(stream, val, amt) },
            Mode::Now => {
                let code = unsafe { self.vtable.start_write(stream, val, amt) };
                if code == BLOCKED {
                    self.mode.set(Mode::InFlight);
                    STATUS_COMPLETED
                } else if code & 0xf == STATUS_DROPPED {
                    self.mode.set(Mode::Dropped);
                    (code & !0xf) | STATUS_COMPLETED
                } else {
                    code
                }
            }
            Mode::InFlight => BLOCKED,
            Mode::Dropped => STATUS_DROPPED,
        }
    }
    unsafe fn start_read(&mut self, stream: u32, val: *mut u8, amt: usize) -> u32 {
        unsafe { self.vtable.start_read(stream, val, amt) }
    }
    unsafe fn cancel_read(&mut self, stream: u32) -> u32 {
        unsafe { self.vtable.cancel_read(stream) }
    }
    unsafe fn cancel_write(&mut self, stream: u32) -> u32 {
        unsafe { self.vtable.cancel_write(stream) }
    }
    unsafe fn drop_readable(&mut self, stream: u32) {
        unsafe { self.vtable.drop_readable(stream) }
    }
    unsafe fn drop_writable(&mut self, stream: u32) {
        unsafe { self.vtable.drop_writable(stream) }
    }
}

/// How a [`SinkStream::send_now`] ended.
pub(crate) struct SentNow {
    /// Bytes the reading side took.
    pub(crate) taken: usize,
    /// What the pump must carry on with: the bytes not taken (still in
    /// flight if [`SinkStream::in_flight`]), or a dropped reading side for
    /// its next write to report. `None` when everything was taken.
    pub(crate) rest: Option<Unsent>,
}

/// The writable end of the sink's byte stream.
pub(crate) struct SinkStream {
    writer: RawStreamWriter<SinkOps>,
    mode: Rc<Cell<Mode>>,
}

impl SinkStream {
    /// `writer`, whose stream type's operations are `vtable`.
    pub(crate) fn new(writer: StreamWriter<u8>, vtable: &'static StreamVtable<u8>) -> Self {
        let handle = writer.handle();
        // The handle moves to the new writer, which drops it in its turn.
        std::mem::forget(writer);
        let mode = Rc::new(Cell::new(Mode::Plain));
        let ops = SinkOps {
            vtable,
            mode: mode.clone(),
        };
        // SAFETY: `handle` is the writable end of a `stream<u8>` whose
        // operations are `vtable`, now owned by this writer alone.
        let writer = unsafe { RawStreamWriter::new(handle, ops) };
        Self { writer, mode }
    }

    /// Writes `values` (wit-bindgen's `write`).
    pub(crate) fn write(&mut self, values: Vec<u8>) -> RawStreamWrite<'_, SinkOps> {
        self.writer.write(values)
    }

    /// Writes the rest of `values`, adopting the write in flight on it if
    /// there is one (wit-bindgen's `write_buf`).
    pub(crate) fn write_buf(&mut self, values: Unsent) -> RawStreamWrite<'_, SinkOps> {
        self.writer.write_buf(values)
    }

    /// Writes all of `values`; returns what the reading side did not take
    /// because it dropped (wit-bindgen's `write_all`).
    pub(crate) async fn write_all(&mut self, values: Vec<u8>) -> Vec<u8> {
        self.writer.write_all(values).await
    }

    /// Starts writing `values` without waiting: what the reading side takes
    /// at once is sent; the rest is handed back, in flight if the write
    /// would have waited (the next `write_buf` of it adopts the write).
    /// Callable outside a task (a synchronous export).
    pub(crate) fn send_now(&mut self, values: Vec<u8>) -> SentNow {
        self.mode.set(Mode::Now);
        let mut write = pin!(self.writer.write(values));
        let polled = write.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        // `Now` never lets the write report "blocked", so the first poll
        // always finishes it (registering no waker).
        let Poll::Ready((result, rest)) = polled else {
            unreachable!("a write in the `Now` mode finishes on its first poll")
        };
        // wit-bindgen starts no write once the reading side has dropped.
        if self.mode.get() == Mode::Now {
            self.mode.set(Mode::Plain);
        }
        let taken = match result {
            StreamResult::Complete(n) => n,
            StreamResult::Dropped | StreamResult::Cancelled => 0,
        };
        let for_pump = rest.remaining() > 0 || self.mode.get() != Mode::Plain;
        SentNow {
            taken,
            rest: for_pump.then_some(rest),
        }
    }

    /// Whether a write started by [`send_now`](Self::send_now) is in
    /// flight: the stream may not be dropped before a write adopts it.
    pub(crate) fn in_flight(&self) -> bool {
        self.mode.get() == Mode::InFlight
    }
}
