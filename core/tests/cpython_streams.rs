//! The feed-level tests of CPython's `Lib/test/test_asyncio/test_streams.py`
//! (StreamTests), ported one for one: same inputs, same outcomes, same
//! buffer left behind. Each test names the Python test it ports.
//! "Waiting" in Python (a task created before the data is fed) becomes:
//! poll gives `NeedData`, feed, poll again.

use portable_streams_core::{Error, Progress, ReadBuffer, ReadRequest, ReadResult};

const DATA: &[u8] = b"line1\nline2\nline3\n";

fn stream() -> ReadBuffer {
    ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap()
}

fn limited(limit: usize) -> ReadBuffer {
    ReadBuffer::new(limit).unwrap()
}

/// Polls once; `None` means the request waits for data.
fn poll(r: &mut ReadBuffer, req: &mut ReadRequest) -> Option<ReadResult> {
    match r.poll(req) {
        Progress::Done(result) => Some(result),
        Progress::NeedData => None,
    }
}

/// Polls a request that must finish now.
fn done(r: &mut ReadBuffer, mut req: ReadRequest) -> ReadResult {
    poll(r, &mut req).expect("the request should not wait")
}

fn ok(r: &mut ReadBuffer, req: ReadRequest) -> Vec<u8> {
    done(r, req).expect("the request should succeed").to_vec()
}

fn until(sep: &[u8]) -> ReadRequest {
    ReadRequest::readuntil([sep]).unwrap()
}

fn value_error() -> Error {
    Error::InvalidArgument(String::new())
}

fn is_limit_overrun(result: &ReadResult, needle: &str) -> bool {
    matches!(result, Err(Error::LimitOverrun { message, .. }) if message.contains(needle))
}

// test_feed_empty_data
#[test]
fn feed_empty_data() {
    let mut s = stream();
    s.feed_data(b"");
    assert_eq!(s.buffer(), b"");
}

// test_feed_nonempty_data
#[test]
fn feed_nonempty_data() {
    let mut s = stream();
    s.feed_data(DATA);
    assert_eq!(s.buffer(), DATA);
}

// test_read_zero
#[test]
fn read_zero() {
    let mut s = stream();
    s.feed_data(DATA);
    assert_eq!(ok(&mut s, ReadRequest::read(0)), b"");
    assert_eq!(s.buffer(), DATA);
}

// test_read
#[test]
fn read() {
    let mut s = stream();
    let mut req = ReadRequest::read(30);
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(DATA);
    assert_eq!(&poll(&mut s, &mut req).unwrap().unwrap()[..], DATA);
    assert_eq!(s.buffer(), b"");
}

// test_read_line_breaks
#[test]
fn read_line_breaks() {
    let mut s = stream();
    s.feed_data(b"line1");
    s.feed_data(b"line2");
    assert_eq!(ok(&mut s, ReadRequest::read(5)), b"line1");
    assert_eq!(s.buffer(), b"line2");
}

// test_read_eof
#[test]
fn read_eof() {
    let mut s = stream();
    let mut req = ReadRequest::read(1024);
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_eof();
    assert_eq!(&poll(&mut s, &mut req).unwrap().unwrap()[..], b"");
    assert_eq!(s.buffer(), b"");
}

// test_read_until_eof
#[test]
fn read_until_eof() {
    let mut s = stream();
    let mut req = ReadRequest::read(-1);
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk1\n");
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk2");
    s.feed_eof();
    assert_eq!(
        &poll(&mut s, &mut req).unwrap().unwrap()[..],
        b"chunk1\nchunk2"
    );
    assert_eq!(s.buffer(), b"");
}

// test_read_exception
#[test]
fn read_exception() {
    let mut s = stream();
    s.feed_data(b"line\n");
    assert_eq!(ok(&mut s, ReadRequest::read(2)), b"li");
    s.set_exception(value_error());
    // The stored error wins even though data is buffered.
    assert_eq!(done(&mut s, ReadRequest::read(2)), Err(value_error()));
}

// test_invalid_limit
#[test]
fn invalid_limit() {
    for limit in [Some(0), Some(-1)] {
        let err = ReadBuffer::with_limit(limit).unwrap_err();
        assert_eq!(err, Error::InvalidArgument("Limit cannot be <= 0".into()));
        assert!(err.to_string().contains("imit"));
    }
    assert!(ReadBuffer::new(0).is_err());
    assert_eq!(ReadBuffer::with_limit(None).unwrap().limit(), 65536);
}

// test_read_limit
#[test]
fn read_limit() {
    let mut s = limited(3);
    s.feed_data(b"chunk");
    assert_eq!(ok(&mut s, ReadRequest::read(5)), b"chunk");
    assert_eq!(s.buffer(), b"");
}

// test_readline
#[test]
fn readline() {
    let mut s = stream();
    s.feed_data(b"chunk1 ");
    let mut req = ReadRequest::readline();
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk2 ");
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk3 ");
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"\n chunk4");
    assert_eq!(
        &poll(&mut s, &mut req).unwrap().unwrap()[..],
        b"chunk1 chunk2 chunk3 \n"
    );
    assert_eq!(s.buffer(), b" chunk4");
}

// test_readline_limit_with_existing_data
#[test]
fn readline_limit_with_existing_data() {
    let mut s = limited(3);
    s.feed_data(b"li");
    s.feed_data(b"ne1\nline2\n");
    let r = done(&mut s, ReadRequest::readline());
    assert!(is_limit_overrun(&r, "is found"), "{r:?}");
    // The remaining data stays after the error.
    assert_eq!(s.buffer(), b"line2\n");

    let mut s = limited(3);
    s.feed_data(b"li");
    s.feed_data(b"ne1");
    s.feed_data(b"li");
    let r = done(&mut s, ReadRequest::readline());
    assert!(is_limit_overrun(&r, "not found"), "{r:?}");
    // No newline: the whole buffer is consumed before waiting for more.
    assert_eq!(s.buffer(), b"");
}

// test_at_eof
#[test]
fn at_eof() {
    let mut s = stream();
    assert!(!s.at_eof());
    s.feed_data(b"some data\n");
    assert!(!s.at_eof());
    ok(&mut s, ReadRequest::readline());
    assert!(!s.at_eof());
    s.feed_data(b"some data\n");
    s.feed_eof();
    ok(&mut s, ReadRequest::readline());
    assert!(s.at_eof());
}

// test_readline_limit
#[test]
fn readline_limit() {
    // Fed after readline is called: the buffer held one line, now empty.
    let mut s = limited(7);
    let mut req = ReadRequest::readline();
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk1");
    s.feed_data(b"chunk2");
    s.feed_data(b"chunk3\n");
    s.feed_eof();
    let r = poll(&mut s, &mut req).unwrap();
    assert!(is_limit_overrun(&r, ""), "{r:?}");
    assert_eq!(s.buffer(), b"");

    let mut s = limited(7);
    let mut req = ReadRequest::readline();
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(b"chunk1");
    s.feed_data(b"chunk2\n");
    s.feed_data(b"chunk3\n");
    s.feed_eof();
    let r = poll(&mut s, &mut req).unwrap();
    assert!(is_limit_overrun(&r, ""), "{r:?}");
    assert_eq!(s.buffer(), b"chunk3\n");

    // The strictness of the limit.
    let mut s = limited(7);
    s.feed_data(b"1234567\n");
    assert_eq!(ok(&mut s, ReadRequest::readline()), b"1234567\n");
    assert_eq!(s.buffer(), b"");

    s.feed_data(b"12345678\n");
    assert!(is_limit_overrun(&done(&mut s, ReadRequest::readline()), ""));
    assert_eq!(s.buffer(), b"");

    s.feed_data(b"12345678");
    assert!(is_limit_overrun(&done(&mut s, ReadRequest::readline()), ""));
    assert_eq!(s.buffer(), b"");
}

// test_readline_nolimit_nowait
#[test]
fn readline_nolimit_nowait() {
    let mut s = stream();
    s.feed_data(&DATA[..6]);
    s.feed_data(&DATA[6..]);
    assert_eq!(ok(&mut s, ReadRequest::readline()), b"line1\n");
    assert_eq!(s.buffer(), b"line2\nline3\n");
}

// test_readline_eof
#[test]
fn readline_eof() {
    let mut s = stream();
    s.feed_data(b"some data");
    s.feed_eof();
    assert_eq!(ok(&mut s, ReadRequest::readline()), b"some data");
}

// test_readline_empty_eof
#[test]
fn readline_empty_eof() {
    let mut s = stream();
    s.feed_eof();
    assert_eq!(ok(&mut s, ReadRequest::readline()), b"");
}

// test_readline_read_byte_count
#[test]
fn readline_read_byte_count() {
    let mut s = stream();
    s.feed_data(DATA);
    ok(&mut s, ReadRequest::readline());
    assert_eq!(ok(&mut s, ReadRequest::read(7)), b"line2\nl");
    assert_eq!(s.buffer(), b"ine3\n");
}

// test_readline_exception
#[test]
fn readline_exception() {
    let mut s = stream();
    s.feed_data(b"line\n");
    assert_eq!(ok(&mut s, ReadRequest::readline()), b"line\n");
    s.set_exception(value_error());
    assert_eq!(done(&mut s, ReadRequest::readline()), Err(value_error()));
    assert_eq!(s.buffer(), b"");
}

// test_readuntil_separator
#[test]
fn readuntil_separator() {
    let err = ReadRequest::readuntil([b""]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidArgument("Separator should be at least one-byte string".into())
    );
    // Python 3.13's tuple form: an empty tuple is invalid too, and so is an
    // empty separator among others.
    let none: [&[u8]; 0] = [];
    assert_eq!(
        ReadRequest::readuntil(none).unwrap_err(),
        Error::InvalidArgument("Separator should contain at least one element".into())
    );
    assert!(ReadRequest::readuntil([&b"A"[..], b""]).is_err());
}

// test_readuntil_multi_chunks
#[test]
fn readuntil_multi_chunks() {
    let mut s = stream();
    s.feed_data(b"lineAAA");
    assert_eq!(ok(&mut s, until(b"AAA")), b"lineAAA");
    assert_eq!(s.buffer(), b"");

    s.feed_data(b"lineAAA");
    assert_eq!(ok(&mut s, until(b"AAA")), b"lineAAA");
    assert_eq!(s.buffer(), b"");

    s.feed_data(b"lineAAAxxx");
    assert_eq!(ok(&mut s, until(b"AAA")), b"lineAAA");
    assert_eq!(s.buffer(), b"xxx");
}

/// Feeds `chunks` one by one to a pending readuntil(b"aaa"), polling after
/// each, and returns the result.
fn readuntil_fed(s: &mut ReadBuffer, chunks: &[&[u8]]) -> Vec<u8> {
    let mut req = until(b"aaa");
    for (i, chunk) in chunks.iter().enumerate() {
        s.feed_data(chunk);
        match poll(s, &mut req) {
            Some(r) => {
                assert_eq!(i, chunks.len() - 1, "finished before the last chunk");
                return r.unwrap().to_vec();
            }
            None => assert!(i < chunks.len() - 1, "still waiting after the last chunk"),
        }
    }
    unreachable!()
}

// test_readuntil_multi_chunks_1
#[test]
fn readuntil_multi_chunks_1() {
    let mut s = stream();
    assert_eq!(
        readuntil_fed(&mut s, &[b"QWEaa", b"XYaa", b"a"]),
        b"QWEaaXYaaa"
    );
    assert_eq!(s.buffer(), b"");
    assert_eq!(
        readuntil_fed(&mut s, &[b"QWEaa", b"XYa", b"aa"]),
        b"QWEaaXYaaa"
    );
    assert_eq!(s.buffer(), b"");
    assert_eq!(readuntil_fed(&mut s, &[b"aaa"]), b"aaa");
    assert_eq!(s.buffer(), b"");
    assert_eq!(readuntil_fed(&mut s, &[b"Xaaa"]), b"Xaaa");
    assert_eq!(s.buffer(), b"");
    assert_eq!(
        readuntil_fed(&mut s, &[b"XXX", b"a", b"a", b"a"]),
        b"XXXaaa"
    );
    assert_eq!(s.buffer(), b"");
}

// test_readuntil_eof
#[test]
fn readuntil_eof() {
    let mut s = stream();
    s.feed_data(b"some dataAA");
    s.feed_eof();
    let err = done(&mut s, until(b"AAA")).unwrap_err();
    assert!(
        err.to_string().contains("undefined expected bytes"),
        "{err}"
    );
    assert_eq!(
        err,
        Error::IncompleteRead {
            partial: b"some dataAA"[..].into(),
            expected: None
        }
    );
    assert_eq!(s.buffer(), b"");
}

// test_readuntil_limit_found_sep
#[test]
fn readuntil_limit_found_sep() {
    let mut s = limited(3);
    s.feed_data(b"some dataAA");
    let r = done(&mut s, until(b"AAA"));
    assert!(is_limit_overrun(&r, "not found"), "{r:?}");
    assert_eq!(s.buffer(), b"some dataAA");

    s.feed_data(b"A");
    let r = done(&mut s, until(b"AAA"));
    assert!(is_limit_overrun(&r, "is found"), "{r:?}");
    assert_eq!(
        r,
        Err(Error::LimitOverrun {
            message: "Separator is found, but chunk is longer than limit".into(),
            consumed: 9
        })
    );
    assert_eq!(s.buffer(), b"some dataAAA");
}

// test_readexactly_zero_or_less
#[test]
fn readexactly_zero_or_less() {
    let mut s = stream();
    s.feed_data(DATA);
    assert_eq!(ok(&mut s, ReadRequest::readexactly(0).unwrap()), b"");
    assert_eq!(s.buffer(), DATA);
    let err = ReadRequest::readexactly(-1).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidArgument("readexactly size can not be less than zero".into())
    );
    assert_eq!(s.buffer(), DATA);
}

// test_readexactly
#[test]
fn readexactly() {
    let mut s = stream();
    let n = 2 * DATA.len() as i64;
    let mut req = ReadRequest::readexactly(n).unwrap();
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(DATA);
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(DATA);
    s.feed_data(DATA);
    assert_eq!(
        &poll(&mut s, &mut req).unwrap().unwrap()[..],
        [DATA, DATA].concat()
    );
    assert_eq!(s.buffer(), DATA);
}

// test_readexactly_limit
#[test]
fn readexactly_limit() {
    let mut s = limited(3);
    s.feed_data(b"chunk");
    assert_eq!(ok(&mut s, ReadRequest::readexactly(5).unwrap()), b"chunk");
    assert_eq!(s.buffer(), b"");
}

// test_readexactly_eof
#[test]
fn readexactly_eof() {
    let mut s = stream();
    let n = 2 * DATA.len();
    let mut req = ReadRequest::readexactly(n as i64).unwrap();
    assert!(poll(&mut s, &mut req).is_none());
    s.feed_data(DATA);
    s.feed_eof();
    let err = poll(&mut s, &mut req).unwrap().unwrap_err();
    assert_eq!(
        err,
        Error::IncompleteRead {
            partial: DATA.into(),
            expected: Some(n as u64)
        }
    );
    assert_eq!(
        err.to_string(),
        "18 bytes read on a total of 36 expected bytes"
    );
    assert_eq!(s.buffer(), b"");
}

// test_readexactly_exception
#[test]
fn readexactly_exception() {
    let mut s = stream();
    s.feed_data(b"line\n");
    assert_eq!(ok(&mut s, ReadRequest::readexactly(2).unwrap()), b"li");
    s.set_exception(value_error());
    assert_eq!(
        done(&mut s, ReadRequest::readexactly(2).unwrap()),
        Err(value_error())
    );
}

// test_exception
#[test]
fn exception() {
    let mut s = stream();
    assert!(s.exception().is_none());
    s.set_exception(value_error());
    assert_eq!(s.exception(), Some(&value_error()));
}

// test_exception_waiter
#[test]
fn exception_waiter() {
    let mut s = stream();
    let mut req = ReadRequest::readline();
    assert!(poll(&mut s, &mut req).is_none());
    s.set_exception(value_error());
    assert_eq!(poll(&mut s, &mut req).unwrap(), Err(value_error()));
}

// test_exception_cancel
#[test]
fn exception_cancel() {
    let mut s = stream();
    let mut req = ReadRequest::readline();
    assert!(poll(&mut s, &mut req).is_none());
    s.begin_wait(&req).unwrap();
    // The task is cancelled: the backend releases the waiter slot.
    s.end_wait();
    s.abandon(req);
    s.set_exception(Error::Closed("message".into()));
    assert!(!s.is_waiting());
}
