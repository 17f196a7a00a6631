//! The connection engine's rules, driven without any I/O: what a read call,
//! the pump, `drain` and `wait_closed` are told to do, in asyncio's order.

use portable_streams_core::{
    Connection, DrainCall, Error, MAX_RECV, PumpStep, ReadBuffer, ReadCall, ReadRequest, ReadStep,
};

#[path = "engine/mod.rs"]
mod engine;

use engine::{arrive, conn, done, pump_send, step};

/// A `drain` that begins now: its answer, or `None` while it waits.
fn drain(c: &Connection) -> Option<Result<(), Error>> {
    c.poll_drain(&mut DrainCall::default())
}

#[test]
fn a_search_receives_asyncios_max_size_whatever_the_limit() {
    let mut c = conn(7);
    let mut call = ReadCall::new(ReadRequest::readline());
    assert!(matches!(step(&mut c, &mut call), ReadStep::Receive { max } if max == MAX_RECV));
    c.abandon_read(&mut call);
    let mut all = ReadCall::new(ReadRequest::read(-1));
    assert!(matches!(step(&mut c, &mut all), ReadStep::Receive { max } if max == MAX_RECV));
}

#[test]
fn counted_reads_ask_for_no_more_than_they_use() {
    let mut c = conn(7);
    let mut call = ReadCall::new(ReadRequest::read(100));
    assert!(matches!(
        step(&mut c, &mut call),
        ReadStep::Receive { max: 100 }
    ));
    c.abandon_read(&mut call);
    arrive(&mut c, b"abc");
    let mut exact = ReadCall::new(ReadRequest::readexactly(10).unwrap());
    assert!(matches!(
        step(&mut c, &mut exact),
        ReadStep::Receive { max: 7 }
    ));
    c.abandon_read(&mut exact);
    let mut huge = ReadCall::new(ReadRequest::readexactly(1 << 30).unwrap());
    assert!(matches!(step(&mut c, &mut huge), ReadStep::Receive { max } if max == MAX_RECV));
}

#[test]
fn an_over_long_line_in_one_segment_is_dropped_whole_as_asyncio_does() {
    // asyncio receives the whole segment, finds the separator past the
    // limit, reports consumed = 20 and drops the line with its separator.
    let mut c = conn(7);
    let mut call = ReadCall::new(ReadRequest::readline());
    let _ = step(&mut c, &mut call);
    arrive(&mut c, b"xxxxxxxxxxxxxxxxxxxx\nok\n");
    assert!(matches!(
        done(&mut c, &mut call),
        Err(Error::LimitOverrun { consumed: 20, ref message }) if message == "Separator is found, but chunk is longer than limit"
    ));
    let mut next = ReadCall::new(ReadRequest::readline());
    assert_eq!(done(&mut c, &mut next).unwrap(), &b"ok\n"[..]);
}

#[test]
fn readuntil_reports_asyncios_consumed_for_one_segment() {
    // limit 5, "abcdefghi" + separator in one segment: found past the limit
    // at 9, data left in the buffer.
    let mut c = conn(5);
    let mut call = ReadCall::new(ReadRequest::readuntil([b"!"]).unwrap());
    let _ = step(&mut c, &mut call);
    arrive(&mut c, b"abcdefghi!");
    assert!(matches!(
        done(&mut c, &mut call),
        Err(Error::LimitOverrun { consumed: 9, .. })
    ));
    assert_eq!(c.reader().buffered(), 10);
}

#[test]
fn a_second_waiting_call_is_busy_and_a_cancelled_one_frees_the_slot() {
    let mut c = conn(100);
    let mut first = ReadCall::new(ReadRequest::readline());
    assert!(matches!(step(&mut c, &mut first), ReadStep::Receive { .. }));
    let mut second = ReadCall::new(ReadRequest::read(5));
    assert!(matches!(done(&mut c, &mut second), Err(Error::Busy(m)) if m.starts_with("read()")));
    c.abandon_read(&mut first);
    let mut third = ReadCall::new(ReadRequest::read(5));
    assert!(matches!(step(&mut c, &mut third), ReadStep::Receive { .. }));
}

#[test]
fn a_cancelled_read_to_eof_loses_nothing() {
    let mut c = conn(100);
    let mut call = ReadCall::new(ReadRequest::read(-1));
    let _ = step(&mut c, &mut call);
    arrive(&mut c, b"kept");
    assert!(matches!(step(&mut c, &mut call), ReadStep::Receive { .. }));
    assert!(call.is_pending());
    c.abandon_read(&mut call);
    assert_eq!(c.reader().buffer(), b"kept");
}

#[test]
fn reading_stops_on_close_and_ends_when_the_connection_closes() {
    let mut c = conn(100);
    arrive(&mut c, b"part");
    let mut call = ReadCall::new(ReadRequest::readline());
    let _ = step(&mut c, &mut call);
    let _ = c.close();
    assert!(matches!(step(&mut c, &mut call), ReadStep::WaitForClose));
    assert!(matches!(c.pump_step(), PumpStep::Close { goodbye: None }));
    assert!(c.lost(None).is_some());
    // A clean close is EOF: readline returns the partial line.
    assert_eq!(done(&mut c, &mut call).unwrap(), &b"part"[..]);
    assert_eq!(c.closed_status(), Some(Ok(())));
}

#[test]
fn write_eof_after_close_does_nothing_as_in_asyncio() {
    let mut c = conn(100);
    let _ = c.write(&b"x"[..]).unwrap();
    let _ = c.close();
    let _ = c.write_eof();
    assert!(c.writer().is_closing());
    assert!(matches!(c.pump_step(), PumpStep::Send(b) if b == "x"));
    let _ = c.sent(1);
    assert!(
        matches!(c.pump_step(), PumpStep::Close { goodbye: None }),
        "close, not a half-close"
    );
}

#[test]
fn write_eof_flushes_then_shuts_the_write_half_and_refuses_writes() {
    let mut c = conn(100);
    let _ = c.write(&b"abc"[..]).unwrap();
    let _ = c.write_eof();
    assert!(matches!(c.write(&b"x"[..]), Err(Error::Closed(_))));
    assert!(matches!(c.pump_step(), PumpStep::Send(_)));
    let _ = c.sent(3);
    assert!(matches!(c.pump_step(), PumpStep::ShutdownWrite));
    c.eof_sent();
    assert!(matches!(c.pump_step(), PumpStep::Idle));
}

#[test]
fn drain_reports_the_readers_error_first() {
    let mut c = conn(100);
    assert_eq!(drain(&c), Some(Ok(())));
    let _ = c.write(vec![0u8; 70 * 1024]).unwrap();
    let mut waiting = DrainCall::default();
    assert_eq!(c.poll_drain(&mut waiting), None);
    let reset = Error::ConnectionReset("reset by peer".into());
    assert!(c.lost(Some(reset.clone())).is_some());
    assert_eq!(drain(&c), Some(Err(reset.clone())));
    assert_eq!(c.poll_drain(&mut waiting), Some(Err(reset.clone())));
    let mut call = ReadCall::new(ReadRequest::read(1));
    assert_eq!(done(&mut c, &mut call), Err(reset.clone()));
    assert_eq!(c.closed_status(), Some(Err(reset)));
    assert!(c.lost(None).is_none(), "only the first loss counts");
}

#[test]
fn try_drain_answers_as_a_drain_that_begins_now_and_leaves_a_waiting_one_as_it_was() {
    let mut c = conn(100);
    assert_eq!(c.try_drain(), Some(Ok(())));
    let _ = c.write(vec![0u8; 70 * 1024]).unwrap();
    let mut waiting = DrainCall::default();
    assert_eq!(c.poll_drain(&mut waiting), None);
    assert_eq!(c.try_drain(), None, "paused: the caller must wait");
    assert!(!DrainCall::default().waited());
    // Closing with bytes left: asyncio's drain yields once first.
    let _ = c.close();
    assert_eq!(c.try_drain(), drain(&c));
    // The reader's stored error comes first, and the waiting drain still
    // ends as a waiting one does.
    let reset = Error::ConnectionReset("reset by peer".into());
    assert!(c.lost(Some(reset.clone())).is_some());
    assert_eq!(c.try_drain(), Some(Err(reset.clone())));
    assert_eq!(c.poll_drain(&mut waiting), Some(Err(reset)));
}

#[test]
fn sending_below_the_low_watermark_wakes_drain() {
    let mut c = conn(100);
    let wake = c.write(vec![0u8; 80 * 1024]).unwrap();
    assert!(wake.pump);
    let PumpStep::Send(chunk) = c.pump_step() else {
        panic!("expected a chunk")
    };
    assert_eq!(chunk.len(), 80 * 1024);
    assert!(!c.sent(60 * 1024).writers, "above the low watermark");
    assert!(c.sent(20 * 1024).writers, "at or below it: drain wakes");
    assert_eq!(drain(&c), Some(Ok(())));
}

#[test]
fn a_drain_that_waited_returns_when_the_writer_aborts() {
    let mut c = conn(100);
    let _ = c.write(vec![0u8; 70 * 1024]).unwrap();
    let mut waiting = DrainCall::default();
    assert_eq!(c.poll_drain(&mut waiting), None);
    // The writer's own `abort`: asyncio's connection_lost(None) gives a
    // waiting drain its result; a drain that begins later fails.
    assert!(c.lost(None).is_some());
    assert_eq!(c.poll_drain(&mut waiting), Some(Ok(())));
    assert_eq!(drain(&c), Some(Err(Error::connection_lost())));
}

#[test]
fn a_send_now_leaves_a_refused_tail_first_in_line() {
    let mut c = conn(100);
    let _ = c.write(&b"hello"[..]).unwrap();
    let chunk = c.take_for_send_now().unwrap().unwrap();
    let _ = c.sent(2);
    c.requeue_unsent(chunk.slice(2..));
    let _ = c.write(&b"!"[..]).unwrap();
    assert!(matches!(c.pump_step(), PumpStep::Send(b) if b == "llo!"));
    let _ = c.close();
    assert!(
        c.take_for_send_now().is_none(),
        "no sends from write once closing"
    );
}

#[test]
fn the_read_cap_bounds_what_a_connection_holds_and_loses_nothing() {
    use portable_streams_core::Caps;
    let caps = Caps {
        read: Some(10),
        write: None,
    };
    let mut c = Connection::with_caps(ReadBuffer::new(4).unwrap(), caps);
    // readexactly above the cap can never finish: denied at once.
    let mut huge = ReadCall::new(ReadRequest::readexactly(11).unwrap());
    assert!(matches!(
        done(&mut c, &mut huge),
        Err(Error::AccessDenied(m)) if m.contains("readexactly()") && m.contains("10 bytes")
    ));
    // A transport read never receives past the cap.
    let mut all = ReadCall::new(ReadRequest::read(-1));
    assert!(matches!(
        step(&mut c, &mut all),
        ReadStep::Receive { max: 10 }
    ));
    arrive(&mut c, b"0123456");
    assert!(matches!(
        step(&mut c, &mut all),
        ReadStep::Receive { max: 3 }
    ));
    arrive(&mut c, b"789");
    // read(-1) has gathered the cap: denied, and its bytes go back.
    assert!(matches!(done(&mut c, &mut all), Err(Error::AccessDenied(m)) if m.contains("read()")));
    let mut some = ReadCall::new(ReadRequest::read(100));
    assert_eq!(done(&mut c, &mut some).unwrap(), &b"0123456789"[..]);
    // The reader is free again.
    let mut next = ReadCall::new(ReadRequest::readline());
    assert!(matches!(step(&mut c, &mut next), ReadStep::Receive { .. }));
}

#[test]
fn the_write_cap_refuses_a_write_instead_of_growing() {
    use portable_streams_core::Caps;
    let caps = Caps {
        read: None,
        write: Some(8),
    };
    let mut c = Connection::with_caps(ReadBuffer::new(4).unwrap(), caps);
    let _ = c.write(&b"12345"[..]).unwrap();
    assert!(matches!(
        c.write(&b"6789"[..]),
        Err(Error::AccessDenied(m)) if m.contains("would buffer 9 bytes") && m.contains("cap of 8 bytes")
    ));
    assert_eq!(c.writer().size(), 5, "the refused write queued nothing");
    assert!(matches!(
        c.writelines([&b"ab"[..], b"cd"]),
        Err(Error::AccessDenied(_))
    ));
    let _ = c.write(&b"678"[..]).unwrap();
    // Once sent, there is room again.
    let PumpStep::Send(chunk) = c.pump_step() else {
        panic!("expected a chunk")
    };
    let _ = c.sent(chunk.len());
    let _ = c.write(&b"abcdefgh"[..]).unwrap();
}

#[test]
fn try_read_answers_only_what_is_buffered_and_takes_nothing_otherwise() {
    let mut c = conn(8);
    assert!(c.try_read(ReadRequest::readline()).is_none());
    arrive(&mut c, b"ab");
    // Half a line: nothing is taken, the next call sees it all.
    assert!(c.try_read(ReadRequest::readline()).is_none());
    // read(-1) gathers what is buffered, then gives it back.
    assert!(c.try_read(ReadRequest::read(-1)).is_none());
    arrive(&mut c, b"c\n");
    assert_eq!(
        &c.try_read(ReadRequest::readline()).unwrap().unwrap()[..],
        b"abc\n"
    );
    // A line past the limit is the same error readline gives.
    arrive(&mut c, b"123456789\nnext\nd");
    assert!(matches!(
        c.try_read(ReadRequest::readline()),
        Some(Err(Error::LimitOverrun { .. }))
    ));
    assert_eq!(
        &c.try_read(ReadRequest::readline()).unwrap().unwrap()[..],
        b"next\n"
    );
    assert!(c.try_read(ReadRequest::readline()).is_none());
    // No waiter slot was claimed on the way: a waiting call still can.
    let mut call = ReadCall::new(ReadRequest::readline());
    assert!(matches!(step(&mut c, &mut call), ReadStep::Receive { .. }));
    // At EOF the partial line, then empty.
    c.received_eof();
    assert_eq!(&done(&mut c, &mut call).unwrap()[..], b"d");
    assert_eq!(
        &c.try_read(ReadRequest::readline()).unwrap().unwrap()[..],
        b""
    );
}

#[test]
fn a_closing_connection_cannot_be_upgraded() {
    // Over TLS: see the engine's TLS tests (`wire_tests.rs`).
    let mut plain = conn(16);
    assert!(plain.can_write_eof());
    assert!(plain.start_tls_status().is_ok());
    let _ = plain.close();
    assert!(plain.start_tls_status().is_err());
}

#[test]
fn a_handed_over_reader_gives_buffered_bytes_first_then_only_stream_chunks() {
    let mut c = conn(64);
    arrive(&mut c, b"buffered");
    c.hand_over().unwrap();
    assert!(c.is_handed_over());
    // Any other read would take bytes out of the stream's middle.
    let mut line = ReadCall::new(ReadRequest::readline());
    assert!(matches!(done(&mut c, &mut line), Err(Error::Closed(m)) if m.contains("handed over")));
    // The stream's first chunk is what was buffered, cut to its room.
    let mut chunk = ReadCall::stream_chunk(3);
    assert_eq!(done(&mut c, &mut chunk).unwrap(), &b"buf"[..]);
    let mut chunk = ReadCall::stream_chunk(1024);
    assert_eq!(done(&mut c, &mut chunk).unwrap(), &b"fered"[..]);
    // Then the transport, once per chunk, and EOF as an empty chunk.
    let mut chunk = ReadCall::stream_chunk(1024);
    assert!(matches!(step(&mut c, &mut chunk), ReadStep::Receive { max } if max == 1024));
    c.received_eof();
    assert_eq!(done(&mut c, &mut chunk).unwrap(), &b""[..]);
    // A second hand-over is refused.
    assert!(matches!(c.hand_over(), Err(Error::Busy(_))));
}

#[test]
fn a_reader_with_a_waiting_read_is_not_handed_over() {
    let mut c = conn(64);
    let mut waiting = ReadCall::new(ReadRequest::read(10));
    assert!(matches!(
        step(&mut c, &mut waiting),
        ReadStep::Receive { .. }
    ));
    assert!(matches!(c.hand_over(), Err(Error::Busy(m)) if m.starts_with("into_stream()")));
    c.abandon_read(&mut waiting);
    c.hand_over().unwrap();
}

#[test]
fn try_readline_answers_as_a_readline_request_or_leaves_it_to_one() {
    // Every cut of a script of lines (short, exactly at the limit, over
    // it), with and without EOF: where the fast path answers, a readline
    // request on the same buffer answers the same; where it does not, it
    // took nothing.
    let script: &[u8] = b"one\n0123456789abcdef\n0123456789abcdefX\n\nlast";
    for cut in 0..=script.len() {
        for eof in [false, true] {
            let mut fast = conn(16);
            let mut slow = conn(16);
            for c in [&mut fast, &mut slow] {
                arrive(c, &script[..cut]);
                if eof {
                    c.received_eof();
                }
            }
            for _ in 0..6 {
                let before = fast.reader().buffered();
                let mut request = ReadCall::new(ReadRequest::readline());
                let expected = match step(&mut slow, &mut request) {
                    ReadStep::Done(result) => Some(result),
                    _ => {
                        slow.abandon_read(&mut request);
                        None
                    }
                };
                match fast.try_readline() {
                    Some(line) => assert_eq!(
                        expected.map(|r| r.map_err(|e| e.to_string())),
                        Some(Ok(line)),
                        "cut {cut}, eof {eof}"
                    ),
                    None => {
                        assert_eq!(fast.reader().buffered(), before, "cut {cut}");
                        // Let the request decide, on both.
                        let mut request = ReadCall::new(ReadRequest::readline());
                        match step(&mut fast, &mut request) {
                            ReadStep::Done(result) => assert_eq!(
                                result.map_err(|e| e.to_string()),
                                expected.clone().unwrap().map_err(|e| e.to_string())
                            ),
                            _ => {
                                fast.abandon_read(&mut request);
                                assert!(expected.is_none());
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_plain_connection_closes_once_flushed_with_no_shutdown_timer() {
    // However long that takes; over TLS see the engine's TLS tests.
    let mut plain = conn(16);
    let _ = plain.write(&b"unsent"[..]).unwrap();
    let _ = plain.close();
    assert_eq!(plain.shutdown_timer(), None);
    assert!(plain.shutdown_expired().is_none());
}

#[test]
fn send_now_gives_the_next_chunk_to_a_free_transport_and_keeps_what_it_refused() {
    use portable_streams_core::SentNow;
    let mut c = conn(100);
    let _ = c.write(&b"hello"[..]).unwrap();
    let wake = c
        .send_now(Some(()), |(), bytes| {
            assert_eq!(bytes, "hello");
            Ok(SentNow {
                taken: 2,
                refused: Some(bytes.slice(2..)),
                kept: false,
            })
        })
        .unwrap();
    assert!(wake.pump, "the pump sends the rest");
    assert_eq!(c.writer().size(), 3);
    assert!(matches!(c.pump_step(), PumpStep::Send(b) if b == "llo"));
}

#[test]
fn send_now_keeping_nothing_puts_the_untaken_rest_first_in_line() {
    let mut c = conn(100);
    let _ = c.write(&b"hello"[..]).unwrap();
    let wake = c
        .send_now_keeping_nothing(Some(()), |(), bytes| {
            assert_eq!(bytes, b"hello");
            Ok(2)
        })
        .unwrap();
    assert!(wake.pump, "the pump sends the rest");
    assert_eq!(c.writer().size(), 3);
    let _ = c.write(&b"!"[..]).unwrap();
    assert!(matches!(c.pump_step(), PumpStep::Send(b) if b == "llo!"));
}

#[test]
fn send_now_leaves_a_busy_transport_alone_and_wakes_the_pump() {
    let mut c = conn(100);
    let _ = c.write(&b"queued"[..]).unwrap();
    let wake = c
        .send_now(None::<()>, |(), _| {
            panic!("a busy transport is not given bytes")
        })
        .unwrap();
    assert!(wake.pump);
    assert_eq!(c.writer().size(), 6);
}

#[test]
fn send_now_wakes_the_pump_for_a_rest_the_backend_keeps_and_fails_with_the_transport() {
    use portable_streams_core::SentNow;
    let mut c = conn(100);
    let _ = c.write(&b"in flight"[..]).unwrap();
    let wake = c
        .send_now(Some(()), |(), _| {
            Ok(SentNow {
                taken: 0,
                refused: None,
                kept: true,
            })
        })
        .unwrap();
    assert!(wake.pump, "the pump finishes the kept rest");
    let _ = c.write(&b"!"[..]).unwrap();
    assert!(c.take_for_send_now().is_none(), "the kept rest goes first");
    let _ = c.sent("in flight".len());
    let reset = Error::ConnectionReset("reset by peer".into());
    let failed = c.send_now(Some(()), |(), _| Err(reset.clone()));
    assert_eq!(failed, Err(reset));
}

#[test]
fn send_now_counts_what_was_taken_and_wakes_a_waiting_drain() {
    use portable_streams_core::SentNow;
    let mut c = conn(100);
    let _ = c.write(vec![0u8; 70 * 1024]).unwrap();
    let mut waiting = DrainCall::default();
    assert_eq!(c.poll_drain(&mut waiting), None);
    let wake = c
        .send_now(Some(()), |(), bytes| {
            Ok(SentNow {
                taken: bytes.len(),
                ..SentNow::default()
            })
        })
        .unwrap();
    assert!(wake.writers && !wake.pump);
    assert_eq!(c.poll_drain(&mut waiting), Some(Ok(())));
}

#[test]
fn a_connection_gives_its_place_under_the_cap_back_when_it_closes() {
    use portable_streams_core::caps::ConnectionCount;
    let count = ConnectionCount::default();
    let mut c = conn(16).holding(Some(count.try_permit(Some(1)).unwrap()));
    assert!(count.try_permit(Some(1)).is_err(), "the place is taken");
    let _ = c.close();
    assert_eq!(count.get(), 1, "closing is not closed yet");
    assert!(c.lost(None).is_some());
    assert_eq!(count.get(), 0);
    assert!(count.try_permit(Some(1)).is_ok());
}

#[test]
fn send_now_waits_while_the_pump_holds_a_chunk_so_bytes_keep_their_order() {
    // The pump took "first" (its step) and has not reported it yet; a
    // `write` meanwhile finds the transport free for a moment (on a
    // multi-threaded backend the pump takes the transport after its
    // step). Sending "second" now would put it on the wire before
    // "first".
    let mut c = conn(100);
    let _ = c.write(&b"first "[..]).unwrap();
    let held = pump_send(&mut c);
    let _ = c.write(&b"second"[..]).unwrap();
    assert!(
        c.take_for_send_now().is_none(),
        "a chunk taken by the pump goes first"
    );
    let wake = c
        .send_now(Some(()), |(), _| {
            panic!("nothing may pass the pump's chunk")
        })
        .unwrap();
    assert!(wake.pump, "the pump sends the rest after its chunk");
    let _ = c.sent(held.len());
    assert!(matches!(c.pump_step(), PumpStep::Send(b) if b == "second"));
}

#[test]
fn send_now_goes_on_once_the_pump_reported_its_chunk() {
    let mut c = conn(100);
    let _ = c.write(&b"first"[..]).unwrap();
    let held = pump_send(&mut c);
    let _ = c.sent(held.len() - 2);
    c.requeue_unsent(held.slice(held.len() - 2..));
    let _ = c.write(&b"!"[..]).unwrap();
    assert!(
        matches!(c.take_for_send_now(), Some(Ok(b)) if b == "st!"),
        "the refused tail first, then what came after"
    );
}
