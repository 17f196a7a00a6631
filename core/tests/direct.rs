//! Bytes the backend moves without the engine's buffers: a stream chunk
//! received straight into the stream reader's memory, and a write sent
//! straight from the writer's memory, each with the same outcome as the
//! buffered way (order, caps, budget, `write`'s rules, loss).

use portable_streams_core::{
    ByteBudget, Caps, Connection, Error, ReadBuffer, ReadCall, ReadRequest, ReadStep,
};

#[path = "engine/mod.rs"]
mod engine;

use engine::{arrive, conn, done, pump_send, step};

// ---- receiving straight into the reader ----

#[test]
fn a_stream_chunk_with_nothing_buffered_may_be_received_straight_into_its_reader() {
    let mut c = conn(64);
    arrive(&mut c, b"early");
    c.hand_over().unwrap();
    // What was buffered goes first, through the buffer.
    let mut chunk = ReadCall::stream_chunk(1024);
    assert_eq!(done(&mut c, &mut chunk).unwrap(), &b"early"[..]);
    // Nothing buffered: the chunk may take the transport's bytes directly,
    // and ends with them, holding nothing and freeing the reader.
    let mut chunk = ReadCall::stream_chunk(1024);
    assert!(matches!(
        step(&mut c, &mut chunk),
        ReadStep::Receive { max: 1024 }
    ));
    assert!(c.may_receive_direct(&chunk));
    c.received_direct(&mut chunk, 700);
    assert!(!chunk.is_pending());
    assert_eq!(c.held(), 0);
    assert_eq!(c.reader().buffered(), 0);
    let mut next = ReadCall::stream_chunk(1024);
    assert!(matches!(step(&mut c, &mut next), ReadStep::Receive { .. }));
    assert!(c.may_receive_direct(&next));
    // EOF still ends the stream with an empty chunk.
    c.received_eof();
    assert!(!c.may_receive_direct(&next));
    assert_eq!(done(&mut c, &mut next).unwrap(), &b""[..]);
}

#[test]
fn only_a_stream_chunk_on_a_plain_connection_is_received_directly() {
    // An ordinary read's answer comes from the buffer's rules.
    let mut c = conn(64);
    let mut read = ReadCall::new(ReadRequest::read(10));
    assert!(matches!(step(&mut c, &mut read), ReadStep::Receive { .. }));
    assert!(!c.may_receive_direct(&read));
    c.abandon_read(&mut read);
    // A finished chunk has nothing left to receive.
    c.hand_over().unwrap();
    let mut chunk = ReadCall::stream_chunk(4);
    arrive(&mut c, b"abc");
    assert_eq!(done(&mut c, &mut chunk).unwrap(), &b"abc"[..]);
    assert!(!c.may_receive_direct(&chunk));
}

// ---- sending straight from the writer ----

#[test]
fn a_write_with_nothing_queued_goes_from_the_callers_memory_and_only_the_rest_is_buffered() {
    let mut c = conn(100);
    let wake = c
        .write_through(b"hello world", Some(()), |(), data| {
            assert_eq!(data, b"hello world");
            Ok(5)
        })
        .unwrap()
        .unwrap();
    assert!(wake.pump, "the pump sends the rest");
    assert_eq!(c.writer().size(), 6);
    assert_eq!(pump_send(&mut c), " world");
    // All taken: nothing buffered, nothing for the pump.
    let mut c = conn(100);
    let wake = c
        .write_through(b"all", Some(()), |(), data| Ok(data.len()))
        .unwrap()
        .unwrap();
    assert!(!wake.pump);
    assert_eq!(c.writer().size(), 0);
    assert_eq!(c.held(), 0);
}

#[test]
fn a_write_behind_queued_bytes_keeps_its_place() {
    // Queued bytes (the transport was busy) are sent first, the new write
    // queued behind them (and coalesced with them, as `write` is).
    let mut c = conn(100);
    let _ = c.write(&b"first "[..]).unwrap();
    let _ = c
        .write_through(b"second", Some(()), |(), data| {
            assert_eq!(data, b"first second", "what was queued goes first");
            Ok(6)
        })
        .unwrap()
        .unwrap();
    assert_eq!(c.writer().size(), 6);
    assert_eq!(pump_send(&mut c), "second");
    // A busy transport gets nothing: everything is queued in order.
    let mut c = conn(100);
    let wake = c
        .write_through(b"queued", None::<()>, |(), _| {
            panic!("a busy transport is not given bytes")
        })
        .unwrap()
        .unwrap();
    assert!(wake.pump);
    assert_eq!(pump_send(&mut c), "queued");
    // A chunk on its way (taken by the pump, not reported) is not passed.
    let mut c = conn(100);
    let _ = c.write(&b"on its way"[..]).unwrap();
    let held = pump_send(&mut c);
    let _ = c
        .write_through(b"!", Some(()), |(), _| {
            panic!("nothing may pass the pump's chunk")
        })
        .unwrap()
        .unwrap();
    let _ = c.sent(held.len());
    assert_eq!(pump_send(&mut c), "!");
}

#[test]
fn a_write_through_follows_writes_rules() {
    // After write_eof: refused, as `write`.
    let mut c = conn(100);
    let _ = c.write_eof().unwrap();
    assert!(matches!(
        c.write_through(b"late", Some(()), |(), _| panic!("refused writes send nothing")),
        Err(Error::Closed(m)) if m.contains("write_eof")
    ));
    // Once closing: discarded, as `write`.
    let mut c = conn(100);
    let _ = c.close();
    let _ = c
        .write_through(b"late", Some(()), |(), _| {
            panic!("discarded writes send nothing")
        })
        .unwrap()
        .unwrap();
    assert_eq!(c.writer().size(), 0);
    // Nothing written: nothing sent.
    let mut c = conn(100);
    let _ = c
        .write_through(b"", Some(()), |(), _| {
            panic!("an empty write sends nothing")
        })
        .unwrap()
        .unwrap();
}

#[test]
fn the_write_cap_and_the_budget_refuse_a_write_through_as_a_write() {
    let caps = Caps {
        read: None,
        write: Some(8),
    };
    let mut c = Connection::with_caps(ReadBuffer::new(4).unwrap(), caps);
    assert!(matches!(
        c.write_through(b"123456789", Some(()), |(), _| panic!("a refused write sends nothing")),
        Err(Error::AccessDenied(m)) if m.contains("cap of 8 bytes")
    ));
    let budget = ByteBudget::new(Some(20));
    let mut c = conn(64).charging(budget.clone());
    let _ = c
        .write_through(&[7; 15], Some(()), |(), _| Ok(10))
        .unwrap()
        .unwrap();
    assert_eq!(budget.held(), 5, "only the buffered rest is charged");
    assert!(matches!(
        c.write_through(&[7; 16], Some(()), |(), _| panic!("over the budget")),
        Err(Error::AccessDenied(m)) if m.contains("20 bytes")
    ));
}

#[test]
fn a_transport_error_is_handed_back_to_lose_the_connection_with() {
    let mut c = conn(100);
    let reset = Error::ConnectionReset("peer reset".into());
    let failed = c
        .write_through(b"data", Some(()), |(), _| Err(reset.clone()))
        .unwrap();
    assert_eq!(failed.unwrap_err(), reset);
}
