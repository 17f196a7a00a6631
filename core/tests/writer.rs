//! The writer's flow control: watermarks, pausing, chunking, closing.

use portable_streams_core::{DrainStatus, Error, WriteBuffer, WriteLimits, WriterState};

#[test]
fn default_limits_are_asyncios() {
    assert_eq!(
        WriteLimits::default(),
        WriteLimits {
            high: 65536,
            low: 16384
        }
    );
    assert_eq!(
        WriteLimits::new(None, None).unwrap(),
        WriteLimits::default()
    );
}

#[test]
fn limits_fill_in_the_missing_one() {
    assert_eq!(
        WriteLimits::new(Some(1000), None).unwrap(),
        WriteLimits {
            high: 1000,
            low: 250
        }
    );
    assert_eq!(
        WriteLimits::new(None, Some(100)).unwrap(),
        WriteLimits {
            high: 400,
            low: 100
        }
    );
    assert_eq!(
        WriteLimits::new(Some(0), Some(0)).unwrap(),
        WriteLimits { high: 0, low: 0 }
    );
}

#[test]
fn low_above_high_is_a_value_error() {
    assert_eq!(
        WriteLimits::new(Some(10), Some(20)).unwrap_err(),
        Error::InvalidArgument("high (10) must be >= low (20) must be >= 0".into())
    );
    let mut w = WriteBuffer::default();
    assert!(w.set_limits(Some(1), Some(2)).is_err());
    assert_eq!(
        w.limits(),
        WriteLimits::default(),
        "a rejected change changes nothing"
    );
}

#[test]
fn pauses_above_high_and_resumes_at_low() {
    let mut w = WriteBuffer::new(WriteLimits::new(Some(100), Some(40)).unwrap());
    w.write(vec![0u8; 100]).unwrap();
    assert_eq!(
        w.drain_status(),
        DrainStatus::Ready,
        "at the high mark: no pause"
    );
    w.write(vec![0u8; 1]).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Wait);
    assert_eq!(w.size(), 101);
    let chunk = w.take_chunk(60).unwrap();
    assert_eq!(w.size(), 101, "in flight still counts");
    assert!(!w.complete_send(chunk.len()), "41 left: still above low");
    assert_eq!(w.drain_status(), DrainStatus::Wait);
    let chunk = w.take_chunk(1).unwrap();
    assert!(
        w.complete_send(chunk.len()),
        "40 left: resumed, wake drainers"
    );
    assert_eq!(w.drain_status(), DrainStatus::Ready);
}

#[test]
fn lowering_the_high_mark_pauses_at_once() {
    let mut w = WriteBuffer::default();
    w.write(vec![0u8; 1000]).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Ready);
    w.set_limits(Some(500), None).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Wait);
}

#[test]
fn chunks_coalesce_small_writes_and_split_big_ones_in_order() {
    let mut w = WriteBuffer::default();
    let mut expected = Vec::new();
    for i in 0..50u8 {
        let piece = vec![i; (i as usize * 7) % 300 + 1];
        expected.extend_from_slice(&piece);
        w.write(piece).unwrap();
    }
    let big = vec![0xAB; 5000];
    expected.extend_from_slice(&big);
    w.write(big).unwrap();
    let mut sent = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = w.take_chunk(1024) {
        assert!(chunk.len() <= 1024);
        sent.extend_from_slice(&chunk);
        w.complete_send(chunk.len());
        chunks += 1;
    }
    assert_eq!(sent, expected, "no byte lost or reordered");
    assert!(chunks < 50, "small writes were coalesced ({chunks} chunks)");
    assert!(w.is_flushed());
    assert_eq!(w.size(), 0);
}

#[test]
fn write_after_write_eof_is_refused_and_shutdown_waits_for_flush() {
    let mut w = WriteBuffer::default();
    w.write(&b"tail"[..]).unwrap();
    w.write_eof();
    assert_eq!(
        w.write(&b"more"[..]),
        Err(Error::Closed(
            "Cannot call write() after write_eof()".into()
        ))
    );
    assert!(!w.should_shutdown_write(), "flush first");
    let chunk = w.take_chunk(100).unwrap();
    assert_eq!(&chunk[..], b"tail");
    w.complete_send(chunk.len());
    assert!(w.should_shutdown_write());
    w.eof_sent();
    assert_eq!(w.state(), &WriterState::EofSent);
    assert!(!w.is_closing(), "the connection still reads");
}

#[test]
fn after_close_writes_are_discarded_and_drain_fails_once_nothing_is_left() {
    let mut w = WriteBuffer::default();
    w.write(&b"flush me"[..]).unwrap();
    w.close();
    assert!(w.is_closing());
    // asyncio's drain after close returns while the buffer still drains
    // and writing is not paused: the connection is not lost yet.
    assert_eq!(w.drain_status(), DrainStatus::Ready);
    w.write(&b"too late"[..]).unwrap();
    assert_eq!(w.size(), 8, "only what came before close is flushed");
    assert!(!w.should_close());
    let c = w.take_chunk(100).unwrap();
    w.complete_send(c.len());
    assert!(w.should_close());
    // Nothing left: the loss is due at once, and a new drain fails.
    assert_eq!(
        w.drain_status(),
        DrainStatus::Failed(Error::connection_lost())
    );
    assert!(w.connection_lost(None));
    assert!(w.is_closed());
    assert_eq!(
        w.drain_status(),
        DrainStatus::Failed(Error::ConnectionReset("Connection lost".into()))
    );
}

#[test]
fn a_lost_connection_fails_drain_with_its_error_and_wakes_waiters() {
    let mut w = WriteBuffer::new(WriteLimits::new(Some(10), None).unwrap());
    w.write(vec![0u8; 100]).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Wait);
    let reset = Error::ConnectionReset("connection reset by peer".into());
    assert!(
        w.connection_lost(Some(reset.clone())),
        "state changed: wake"
    );
    assert!(!w.connection_lost(None), "the first error is kept");
    assert_eq!(w.drain_status(), DrainStatus::Failed(reset.clone()));
    assert_eq!(w.close_error(), Some(&reset));
    assert_eq!(w.size(), 0, "the buffer is discarded");
    assert!(w.take_chunk(10).is_none());
    assert_eq!(w.waiting_drain_status(), DrainStatus::Failed(reset));
}

#[test]
fn a_waiting_drain_outlives_close_and_returns_on_a_clean_loss() {
    let mut w = WriteBuffer::new(WriteLimits::new(Some(10), None).unwrap());
    w.write(vec![0u8; 100]).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Wait);
    // asyncio's `close` does not wake a waiting drain: it waits on while
    // writing is paused, and returns once it resumes.
    w.close();
    assert_eq!(w.waiting_drain_status(), DrainStatus::Wait);
    assert_eq!(w.drain_status(), DrainStatus::Wait, "a new one waits too");
    let c = w.take_chunk(98).unwrap();
    assert!(w.complete_send(c.len()), "resumed: drains wake");
    assert_eq!(w.waiting_drain_status(), DrainStatus::Ready);
    // `abort` (a loss without error) wakes a waiting drain with a result;
    // a drain that begins after it fails.
    let mut w = WriteBuffer::new(WriteLimits::new(Some(10), None).unwrap());
    w.write(vec![0u8; 100]).unwrap();
    assert!(w.connection_lost(None));
    assert_eq!(w.waiting_drain_status(), DrainStatus::Ready);
    assert_eq!(
        w.drain_status(),
        DrainStatus::Failed(Error::connection_lost())
    );
}

#[test]
fn writes_after_write_eof_fail_also_once_closed() {
    // asyncio's transport checks `_eof` before anything else.
    let eof_words = Error::Closed("Cannot call write() after write_eof()".into());
    let mut w = WriteBuffer::default();
    w.write_eof();
    w.close();
    assert_eq!(w.write(&b"x"[..]), Err(eof_words.clone()));
    assert!(w.connection_lost(None));
    assert_eq!(w.write(&b"x"[..]), Err(eof_words.clone()));
    assert_eq!(w.write(Vec::new()), Err(eof_words));
    // `write_eof` after `close` does nothing, so writes are discarded.
    let mut w = WriteBuffer::default();
    w.close();
    w.write_eof();
    assert_eq!(w.write(&b"x"[..]), Ok(()));
    assert_eq!(w.size(), 0);
}

#[test]
fn empty_writes_change_nothing() {
    let mut w = WriteBuffer::default();
    w.write(Vec::new()).unwrap();
    assert!(!w.has_pending());
    assert!(w.take_chunk(10).is_none());
}

#[test]
fn an_unsent_tail_goes_first_and_stays_counted() {
    let mut w = WriteBuffer::default();
    w.write(&b"hello "[..]).unwrap();
    let chunk = w.take_chunk(1024).unwrap();
    w.write(&b"world"[..]).unwrap();
    // The transport took two bytes of the chunk.
    w.complete_send(2);
    w.requeue_unsent(chunk.slice(2..));
    assert_eq!(w.size(), 9);
    assert_eq!(&w.take_chunk(1024).unwrap()[..], b"llo world");
    w.complete_send(9);
    assert!(w.is_flushed());
    // Once the connection is lost, a tail given back is dropped.
    w.write(&b"late"[..]).unwrap();
    let chunk = w.take_chunk(1024).unwrap();
    w.connection_lost(None);
    w.requeue_unsent(chunk);
    assert_eq!(w.size(), 0);
    assert!(w.take_chunk(1024).is_none());
}

#[test]
fn flush_waits_for_an_empty_buffer_and_the_last_send_wakes_it() {
    let mut w = WriteBuffer::default();
    assert_eq!(w.flush_status(), DrainStatus::Ready);
    // Far below the high watermark: drain would not wait, flush does.
    w.write(&b"abc"[..]).unwrap();
    assert_eq!(w.drain_status(), DrainStatus::Ready);
    assert_eq!(w.flush_status(), DrainStatus::Wait);
    let chunk = w.take_chunk(1024).unwrap();
    // A partial send leaves bytes: no wake yet.
    assert!(!w.complete_send(1));
    w.requeue_unsent(chunk.slice(1..));
    w.take_chunk(1024).unwrap();
    // The send that empties the buffer wakes the waiting flush, once.
    assert!(w.complete_send(2));
    assert_eq!(w.flush_status(), DrainStatus::Ready);
    w.write(&b"x"[..]).unwrap();
    w.take_chunk(1024).unwrap();
    assert!(!w.complete_send(1), "nobody waited this time");
    // A closed writer fails a flush as it fails a drain.
    w.connection_lost(None);
    assert!(matches!(w.flush_status(), DrainStatus::Failed(_)));
}
