//! Reader rules the CPython port does not reach: backpressure, the single
//! waiter, cancellation, several separators, and the linear scan.

use portable_streams_core::{Error, Progress, ReadBuffer, ReadRequest};

fn done(r: &mut ReadBuffer, req: &mut ReadRequest) -> Vec<u8> {
    match r.poll(req) {
        Progress::Done(Ok(b)) => b.to_vec(),
        other => panic!("expected data, got {other:?}"),
    }
}

#[test]
fn a_request_larger_than_twice_the_limit_completes() {
    // asyncio resumes a paused transport for a waiter, so a big request
    // cannot deadlock; here the transport is read while a call waits.
    let mut r = ReadBuffer::new(4).unwrap();
    r.feed_data(&[1; 9]);
    let mut req = ReadRequest::readexactly(20).unwrap();
    assert!(matches!(r.poll(&mut req), Progress::NeedData));
    r.feed_data(&[1; 11]);
    assert_eq!(done(&mut r, &mut req).len(), 20);
}

#[test]
fn sizes_are_judged_the_same_on_every_platform() {
    // 2**40 is above what a component can hold: invalid on 32- and 64-bit
    // hosts alike, never a wrapped number.
    assert!(matches!(
        ReadRequest::readexactly(1 << 40),
        Err(Error::InvalidArgument(m)) if m.contains("larger than a component can hold")
    ));
    assert!(matches!(
        ReadRequest::readexactly(-1),
        Err(Error::InvalidArgument(m)) if m == "readexactly size can not be less than zero"
    ));
    assert!(ReadRequest::readexactly(u32::MAX as i64).is_ok());
    // read(n) with a huge n is "up to n": whatever is buffered.
    let mut r = ReadBuffer::new(4).unwrap();
    r.feed_data(b"abc");
    assert_eq!(done(&mut r, &mut ReadRequest::read(1 << 40)), b"abc");
}

#[test]
fn a_second_waiter_is_busy_and_the_first_can_go_on() {
    let mut r = ReadBuffer::new(100).unwrap();
    let mut first = ReadRequest::readline();
    assert!(matches!(r.poll(&mut first), Progress::NeedData));
    r.begin_wait(&first).unwrap();
    let second = ReadRequest::readexactly(3).unwrap();
    assert_eq!(
        r.begin_wait(&second).unwrap_err().to_string(),
        "readexactly() called while another coroutine is already waiting for incoming data"
    );
    assert!(matches!(
        r.begin_wait(&ReadRequest::readline()),
        Err(Error::Busy(m)) if m.starts_with("readline()")
    ));
    r.feed_data(b"ok\n");
    r.end_wait();
    assert_eq!(done(&mut r, &mut first), b"ok\n");
    // The slot is free again.
    r.begin_wait(&second).unwrap();
}

#[test]
fn a_cancelled_read_to_eof_gives_its_bytes_back() {
    let mut r = ReadBuffer::new(100).unwrap();
    let mut all = ReadRequest::read(-1);
    r.feed_data(b"abc");
    assert!(matches!(r.poll(&mut all), Progress::NeedData));
    r.feed_data(b"def");
    assert!(matches!(r.poll(&mut all), Progress::NeedData));
    assert_eq!(r.buffered(), 0, "read(-1) moved the bytes out");
    r.feed_data(b"gh");
    r.abandon(all);
    assert_eq!(r.buffer(), b"abcdefgh", "nothing lost, order kept");
    assert_eq!(
        done(&mut r, &mut ReadRequest::readexactly(8).unwrap()),
        b"abcdefgh"
    );
}

#[test]
fn a_cancelled_readline_leaves_everything_buffered() {
    let mut r = ReadBuffer::new(100).unwrap();
    let mut line = ReadRequest::readline();
    r.feed_data(b"hel");
    assert!(matches!(r.poll(&mut line), Progress::NeedData));
    r.abandon(line);
    r.feed_data(b"lo\n");
    assert_eq!(done(&mut r, &mut ReadRequest::readline()), b"hello\n");
}

#[test]
fn a_resumed_scan_restarts_when_another_call_consumed_bytes() {
    let mut r = ReadBuffer::new(100).unwrap();
    let mut until = ReadRequest::readuntil([b"END"]).unwrap();
    r.feed_data(b"xxENxx");
    assert!(matches!(r.poll(&mut until), Progress::NeedData));
    // A read that did not need to wait takes bytes from the front.
    assert_eq!(done(&mut r, &mut ReadRequest::read(4)), b"xxEN");
    r.feed_data(b"END");
    assert_eq!(done(&mut r, &mut until), b"xxEND");
}

#[test]
fn several_separators_the_match_that_ends_first_wins() {
    let mut r = ReadBuffer::new(100).unwrap();
    r.feed_data(b"a\r\nb\nc");
    let seps = [&b"\n"[..], b"\r\n"];
    assert_eq!(
        done(&mut r, &mut ReadRequest::readuntil(seps).unwrap()),
        b"a\r\n"
    );
    assert_eq!(
        done(&mut r, &mut ReadRequest::readuntil(seps).unwrap()),
        b"b\n"
    );
    r.feed_data(b"xxLONGSEPyyS");
    let seps = [&b"LONGSEP"[..], b"S"];
    // "S" inside "LONGSEP" ends before "LONGSEP" does.
    assert_eq!(
        done(&mut r, &mut ReadRequest::readuntil(seps).unwrap()),
        b"cxxLONGS"
    );
}

#[test]
fn several_separators_split_across_chunks() {
    let mut r = ReadBuffer::new(100).unwrap();
    let mut req = ReadRequest::readuntil([&b"\r\n\r\n"[..], b"||"]).unwrap();
    for chunk in [&b"head\r"[..], b"\n", b"\r", b"\n"] {
        assert!(matches!(r.poll(&mut req), Progress::NeedData));
        r.feed_data(chunk);
    }
    assert_eq!(done(&mut r, &mut req), b"head\r\n\r\n");
}

#[test]
fn line_of_exactly_the_limit_passes_with_any_separator_length() {
    let mut r = ReadBuffer::new(4).unwrap();
    r.feed_data(b"abcdEND");
    assert_eq!(
        done(&mut r, &mut ReadRequest::readuntil([b"END"]).unwrap()),
        b"abcdEND"
    );
    r.feed_data(b"abcdeEND");
    assert!(matches!(
        r.poll(&mut ReadRequest::readuntil([b"END"]).unwrap()),
        Progress::Done(Err(Error::LimitOverrun { consumed: 5, .. }))
    ));
    assert_eq!(r.buffer(), b"abcdeEND", "readuntil leaves data on overrun");
}

#[test]
fn data_found_in_the_last_chunk_before_eof_is_returned() {
    let mut r = ReadBuffer::new(100).unwrap();
    r.feed_data(b"lastEND");
    r.feed_eof();
    assert_eq!(
        done(&mut r, &mut ReadRequest::readuntil([b"END"]).unwrap()),
        b"lastEND"
    );
    assert!(r.at_eof());
}

#[test]
fn one_mebibyte_line_fed_byte_by_byte() {
    // Linear work is shown by the separator_scan benchmark; this checks the
    // result and that every poll before the newline waits.
    let mut r = ReadBuffer::new(2 << 20).unwrap();
    let mut line = ReadRequest::readline();
    for _ in 0..(1 << 20) {
        r.feed_data(b"x");
        assert!(matches!(r.poll(&mut line), Progress::NeedData));
    }
    r.feed_data(b"\n");
    assert_eq!(done(&mut r, &mut line).len(), (1 << 20) + 1);
}

#[test]
fn feed_with_reads_in_place_with_feed_datas_rules() {
    use bytes::BufMut;
    let mut r = ReadBuffer::new(4).unwrap();
    // The room offered is what was asked for, no more.
    let room = r.feed_with(3, |buf| {
        let room = buf.remaining_mut();
        buf.put_slice(b"ab\n");
        room
    });
    assert_eq!(room, 3);
    let mut line = ReadRequest::readline();
    assert_eq!(done(&mut r, &mut line), b"ab\n");
    // More than 2 x limit may arrive in one transport read, as in asyncio.
    r.feed_with(9, |buf| buf.put_slice(b"123456789"));
    assert_eq!(r.buffered(), 9);
    // What was read in place is read like any fed data.
    let mut all = ReadRequest::read(-1);
    r.feed_eof();
    assert_eq!(done(&mut r, &mut all), b"123456789");
}

#[test]
fn an_empty_buffer_gives_its_room_back_and_a_holding_one_keeps_it() {
    use bytes::BufMut;
    let mut r = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
    r.feed_with(64 * 1024, |buf| buf.put_slice(b"one\ntw"));
    assert!(r.allocated() >= 64 * 1024);
    let mut line = ReadRequest::readline();
    assert_eq!(done(&mut r, &mut line), b"one\n");
    // "tw" is still buffered: its memory stays, and so do its bytes.
    r.release_room();
    assert_eq!(r.buffer(), b"tw");
    assert!(r.allocated() >= 2);
    let mut rest = ReadRequest::readexactly(2).unwrap();
    assert_eq!(done(&mut r, &mut rest), b"tw");
    // Nothing buffered: a reader waiting for data holds no memory.
    r.release_room();
    assert_eq!(r.allocated(), 0);
    // And it receives again as before.
    r.feed_with(3, |buf| buf.put_slice(b"ok\n"));
    let mut line = ReadRequest::readline();
    assert_eq!(done(&mut r, &mut line), b"ok\n");
}

#[test]
fn a_read_into_a_vector_with_front_room_is_not_copied_behind_buffered_bytes() {
    // A line's start is buffered; the next read arrives after 16 bytes of
    // room. The start goes into the room, and the lines come out of the
    // read's own allocation, not of a copy.
    let mut r = ReadBuffer::new(64).unwrap();
    r.feed_data(b"one\ntw");
    assert_eq!(r.try_line().unwrap(), &b"one\n"[..]);
    let mut data = vec![0; 16];
    data.extend_from_slice(b"o\nthree\n");
    let read_at = data.as_ptr() as usize;
    r.feed_vec_after(data, 16);
    let line = r.try_line().unwrap();
    assert_eq!(line, &b"two\n"[..]);
    assert_eq!(
        line.as_ptr() as usize,
        read_at + 16 - 2,
        "the start sits in the room"
    );
    let next = r.try_line().unwrap();
    assert_eq!(next, &b"three\n"[..]);
    assert_eq!(
        next.as_ptr() as usize,
        read_at + 18,
        "the read's bytes stay in place"
    );
    // More buffered than the room holds: the read is appended instead.
    r.feed_data(b"a long line start");
    let mut small = vec![0; 4];
    small.extend_from_slice(b" ends\n");
    r.feed_vec_after(small, 4);
    assert_eq!(r.try_line().unwrap(), &b"a long line start ends\n"[..]);
}
