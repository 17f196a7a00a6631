//! A front: a component's own engine in front of a backend's connection
//! (the SDK's read-ahead reader and its writer's outbox). The front runs
//! core's rules over its own buffer; these are the rules for how the
//! front and the backend answer together, so that the pair behaves as one
//! asyncio stream.

use crate::{Connection, DrainCall};

/// `at_eof()` of a read-ahead front: nothing left in front, and EOF
/// known. The front knows it once its fetches met EOF; a front that
/// fetches with read calls may also take the backend's word
/// (`backend_at_eof`), but one fed by a byte stream may not: the backend
/// can have EOF while bytes are still on their way through the stream.
pub fn at_eof(
    front: &Connection,
    fed_by_calls: bool,
    backend_at_eof: impl FnOnce() -> bool,
) -> bool {
    let ahead = front.reader();
    ahead.buffered() == 0 && (ahead.eof_received() || (fed_by_calls && backend_at_eof()))
}

/// `is_closing()`: closing on either side (the front's `close` waits for
/// its bytes to reach the backend before the backend hears it).
pub fn is_closing(front: &Connection, backend_is_closing: impl FnOnce() -> bool) -> bool {
    front.writer().is_closing() || backend_is_closing()
}

/// `get_write_buffer_size()`: what the front holds plus what the backend
/// has not sent yet.
pub fn write_buffer_size(front: &Connection, backend: u64) -> u64 {
    front.writer().size().saturating_add(backend)
}

/// After the front's `drain` answered `Ok` for `call`: whether the
/// backend's `drain` must be asked too. Not when a drain that waited in
/// front was ended by the writer's own `close` or `abort` (asyncio's
/// waiting drain returns then); otherwise yes, for the backend's buffer
/// and its errors.
pub fn drain_asks_backend(front: &Connection, call: &DrainCall) -> bool {
    !(call.waited() && front.is_closed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PumpStep, ReadBuffer, ReadRequest};

    fn front() -> Connection {
        Connection::new(ReadBuffer::new(16).unwrap())
    }

    #[test]
    fn at_eof_needs_an_empty_front_and_eof_known_where_it_may_be() {
        let mut c = front();
        assert!(!at_eof(&c, true, || false));
        // Fetched by calls: the backend's EOF counts.
        assert!(at_eof(&c, true, || true));
        // Fed by a stream: only the stream's own end does.
        assert!(!at_eof(&c, false, || true));
        c.receive(b"x");
        c.received_eof();
        assert!(!at_eof(&c, true, || true), "a byte is still in front");
        let _ = c.try_read(ReadRequest::read(1));
        assert!(at_eof(&c, false, || false));
    }

    #[test]
    fn the_writer_side_adds_up_both_buffers_and_closing() {
        let mut c = front();
        let _ = c.write(&b"12345"[..]).unwrap();
        assert_eq!(write_buffer_size(&c, 7), 12);
        assert_eq!(write_buffer_size(&c, u64::MAX), u64::MAX);
        assert!(!is_closing(&c, || false));
        assert!(is_closing(&c, || true));
        let _ = c.close();
        assert!(is_closing(&c, || false));
    }

    #[test]
    fn a_drain_ended_by_the_writers_own_close_does_not_ask_the_backend() {
        let mut c = front();
        let _ = c.set_write_buffer_limits(Some(1), None);
        let _ = c.write(&b"12345"[..]).unwrap();
        let mut call = DrainCall::default();
        assert_eq!(c.poll_drain(&mut call), None, "paused: the drain waits");
        assert!(drain_asks_backend(&c, &DrainCall::default()));
        let _ = c.close();
        assert!(matches!(c.pump_step(), PumpStep::Send(_)));
        let _ = c.lost(None);
        assert!(!drain_asks_backend(&c, &call));
        // One that never waited asks: the backend reports the close.
        assert!(drain_asks_backend(&c, &DrainCall::default()));
    }
}
