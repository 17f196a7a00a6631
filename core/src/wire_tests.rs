//! The engine over TLS: what a backend hands the transport and receives
//! from it are records, and the writer's bytes count as sent once their
//! whole ciphertext was taken. The peer is a real session.

use std::time::Duration;

use crate::tls::testing::established;
use crate::tls::{Layer, Received, Session};
use crate::{Connection, DrainCall, Error, PumpStep, ReadBuffer, ReadCall, ReadRequest, ReadStep};

const TIMEOUT: Duration = Duration::from_millis(250);

/// A client engine over TLS, and the server session it talks to; the
/// handshake brought `early` along.
fn secured(early: &[u8]) -> (Connection, Session) {
    let (client, server) = established();
    let mut engine = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    let early = Received {
        plaintext: early.to_vec(),
        peer_closed: false,
    };
    engine.secure(Layer::new(client, TIMEOUT), early);
    (engine, server)
}

fn send(engine: &mut Connection) -> bytes::Bytes {
    match engine.pump_step() {
        PumpStep::Send(bytes) => bytes,
        other => panic!("expected a send, got {other:?}"),
    }
}

fn read_all(engine: &mut Connection) -> Vec<u8> {
    let mut call = ReadCall::new(ReadRequest::read(-1));
    match engine.poll_read(&mut call) {
        ReadStep::Done(result) => result.unwrap().to_vec(),
        _ => panic!("expected the read to finish"),
    }
}

#[test]
fn a_secured_engine_reports_tls_and_refuses_half_close_and_a_second_start_tls() {
    let (mut engine, _server) = secured(b"");
    assert!(engine.is_sealed());
    assert_eq!(engine.tls().unwrap().protocol_version, "TLSv1.3");
    assert!(!engine.can_write_eof());
    assert!(matches!(engine.write_eof(), Err(Error::Unsupported(_))));
    assert!(matches!(
        engine.start_tls_status(),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn written_bytes_are_sent_as_records_and_count_once_all_their_ciphertext_went() {
    let (mut engine, mut server) = secured(b"");
    let _ = engine.write(&b"hello"[..]).unwrap();
    let records = send(&mut engine);
    assert!(records.len() > 5, "ciphertext, not the plaintext");
    assert!(!engine.sent(records.len() - 1).writers);
    assert_eq!(engine.writer().size(), 5, "not sent until the last byte");
    let _ = engine.sent(1);
    assert_eq!(engine.writer().size(), 0);
    assert_eq!(server.receive(&records).unwrap().plaintext, b"hello");
}

#[test]
fn refused_ciphertext_goes_first_and_nothing_is_sealed_before_it_went() {
    let (mut engine, mut server) = secured(b"");
    let _ = engine.write(&b"first "[..]).unwrap();
    let records = engine.take_for_send_now().unwrap().unwrap();
    let _ = engine.sent(3);
    engine.requeue_unsent(records.slice(3..));
    let _ = engine.write(&b"second"[..]).unwrap();
    assert!(
        engine.take_for_send_now().is_none(),
        "the refused records are on their way"
    );
    let rest = send(&mut engine);
    assert_eq!(rest, records.slice(3..));
    let _ = engine.sent(rest.len());
    assert_eq!(engine.writer().size(), 6, "the first write is sent");
    let more = send(&mut engine);
    let _ = engine.sent(more.len());
    let mut wire = records.to_vec();
    wire.extend_from_slice(&more);
    assert_eq!(server.receive(&wire).unwrap().plaintext, b"first second");
}

#[test]
fn received_records_reach_the_reader_and_close_notify_is_eof() {
    let (mut engine, mut server) = secured(b"early ");
    let mut wire = server.encrypt(b"data").unwrap();
    wire.extend(server.close_notify());
    engine.receive_wire_vec(wire).unwrap();
    assert_eq!(read_all(&mut engine), b"early data");
    assert!(engine.reader().at_eof());
}

#[test]
fn a_record_that_is_not_tls_is_a_tls_error() {
    let (mut engine, _server) = secured(b"");
    let refused = engine.receive_wire(b"GET / HTTP/1.1\r\n\r\n");
    assert!(matches!(refused, Err(Error::Tls(_))), "{refused:?}");
}

#[test]
fn closing_sends_close_notify_within_the_shutdown_timeout() {
    let (mut engine, mut server) = secured(b"");
    assert_eq!(engine.shutdown_timer(), None);
    let _ = engine.close();
    assert_eq!(engine.shutdown_timer(), Some(TIMEOUT));
    let PumpStep::Close {
        goodbye: Some(alert),
    } = engine.pump_step()
    else {
        panic!("expected close with close_notify")
    };
    assert!(server.receive(&alert).unwrap().peer_closed);
}

#[test]
fn a_plain_engine_closes_without_goodbye_or_timer() {
    let mut engine = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    assert!(!engine.is_sealed());
    let _ = engine.close();
    assert_eq!(engine.shutdown_timer(), None);
    assert!(matches!(
        engine.pump_step(),
        PumpStep::Close { goodbye: None }
    ));
}

#[test]
fn reading_stops_on_close_and_a_read_then_waits_for_the_close() {
    let mut engine = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    let mut call = ReadCall::new(ReadRequest::read(-1));
    assert!(matches!(
        engine.poll_read(&mut call),
        ReadStep::Receive { .. }
    ));
    assert!(!engine.stops_reading());
    let _ = engine.close();
    // A receive under way gives way, and the call waits for the close.
    assert!(engine.stops_reading());
    assert!(matches!(
        engine.poll_read(&mut call),
        ReadStep::WaitForClose
    ));
    assert!(engine.lost(None).is_some());
    assert!(matches!(engine.poll_read(&mut call), ReadStep::Done(_)));
}

#[test]
fn close_is_carried_out_at_once_only_when_plain_and_flushed() {
    let mut plain = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    // Open: nothing to close.
    assert!(!plain.closes_at_once());
    let _ = plain.write(&b"unsent"[..]).unwrap();
    let _ = plain.close();
    // Bytes left to send: the pump sends them first.
    assert!(!plain.closes_at_once());
    let _ = send(&mut plain);
    let _ = plain.sent(6);
    assert!(plain.closes_at_once());

    // Over TLS the goodbye goes first, also with nothing written.
    let (mut sealed, _server) = secured(b"");
    let _ = sealed.close();
    assert!(!sealed.closes_at_once());
}

#[test]
fn closing_a_tls_connection_runs_the_shutdown_timer_and_its_end_is_a_timeout() {
    let (mut c, _server) = secured(b"");
    // Open: no timer.
    assert_eq!(c.shutdown_timer(), None);
    let _ = c.write(&b"unsent"[..]).unwrap();
    let _ = c.close();
    assert_eq!(c.shutdown_timer(), Some(TIMEOUT));
    let expired = c.shutdown_expired().expect("the timer runs");
    assert!(c.lost(Some(expired)).is_some());
    // asyncio: wait_closed and drain raise TimeoutError('SSL shutdown timed out').
    let timed_out = |r: Option<Result<(), Error>>| matches!(r, Some(Err(Error::Timeout(m))) if m == "SSL shutdown timed out");
    assert!(timed_out(c.closed_status()));
    assert!(timed_out(c.poll_drain(&mut DrainCall::default())));
    // Once closed the timer is over, and a second expiry changes nothing.
    assert_eq!(c.shutdown_timer(), None);
    assert!(c.shutdown_expired().is_none());

    // Closed in time: the timer has nothing left to end.
    let (mut clean, _server) = secured(b"");
    let _ = clean.close();
    assert!(clean.lost(None).is_some());
    assert!(clean.shutdown_expired().is_none());
    assert_eq!(clean.closed_status(), Some(Ok(())));
}

#[test]
fn while_start_tls_holds_the_transport_writes_wait_and_then_go_as_records() {
    let (client, mut server) = established();
    let mut engine = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    engine.begin_upgrade();
    let _ = engine.write(&b"during the handshake"[..]).unwrap();
    assert!(matches!(engine.pump_step(), PumpStep::Idle));
    assert_eq!(engine.writer().size(), 20, "nothing taken meanwhile");
    engine.secure(Layer::new(client, TIMEOUT), Received::default());
    let records = send(&mut engine);
    assert_eq!(
        server.receive(&records).unwrap().plaintext,
        b"during the handshake"
    );
}

#[test]
fn a_connection_lost_during_start_tls_stops_its_pump() {
    let mut engine = Connection::new(ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap());
    engine.begin_upgrade();
    assert!(engine.lost(None).is_some());
    assert!(matches!(engine.pump_step(), PumpStep::Stop));
}

#[test]
fn a_tls_stream_chunk_is_never_received_straight_into_its_reader() {
    // Its bytes are records: they must go through the session.
    let (mut engine, _server) = secured(b"");
    engine.hand_over().unwrap();
    let mut chunk = ReadCall::stream_chunk(1024);
    assert!(matches!(
        engine.poll_read(&mut chunk),
        ReadStep::Receive { .. }
    ));
    assert!(!engine.may_receive_direct(&chunk));
}

#[test]
fn a_write_through_on_tls_hands_the_transport_records_not_the_plaintext() {
    let (mut engine, _server) = secured(b"");
    let mut handed = Vec::new();
    let _ = engine
        .write_through(b"hello", Some(()), |(), wire| {
            handed = wire.to_vec();
            Ok(wire.len())
        })
        .unwrap()
        .unwrap();
    assert!(
        handed.len() > 5 && handed != b"hello",
        "ciphertext: {handed:?}"
    );
    assert_eq!(engine.writer().size(), 0);
}
