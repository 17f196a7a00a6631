//! The `stream<u8>` data path: `into-stream` on the binding, and the SDK
//! reader that uses it underneath.

use std::future::IntoFuture;

use futures::StreamExt;
use futures::future::join;
use portable_streams::bindings::portable::streams::streams::{Error, Reader};
use portable_streams::bindings::wit_stream;
use wit_bindgen::StreamResult;

use crate::{Outcome, ReadSide, Sdk, check, connect, expect_bytes, pattern, within};

/// Runs `scenario` if it is one of the data path's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "into-stream" => into_stream(host, port).await,
        "into-stream-reset" => into_stream_reset(host, port).await,
        "into-stream-close" => into_stream_close(host, port).await,
        "sdk-hands-over" => sdk_hands_over(host, port).await,
        "sdk-lines" => sdk_lines(host, port).await,
        "sdk-cancel-in-stream" => sdk_cancel_in_stream(host, port).await,
        "write-from" => write_from(host, port).await,
        "write-from-after-eof" => write_from_after_eof(host, port).await,
        "sdk-write-eof-after-writes" => sdk_write_eof_after_writes(host, port).await,
        "sdk-close-after-writes" => sdk_close_after_writes(host, port).await,
        _ => return None,
    })
}

/// Reads `reader`'s stream to its end: the bytes, and the end future.
async fn drain_stream(reader: &Reader) -> Result<(Vec<u8>, Result<(), Error>), String> {
    let (mut stream, end) = reader
        .into_stream()
        .await
        .map_err(|e| format!("into_stream: {e:?}"))?;
    let mut got = Vec::new();
    loop {
        let (result, chunk) = stream.read(Vec::with_capacity(3)).await;
        got.extend_from_slice(&chunk);
        if result != StreamResult::Complete(chunk.len()) || chunk.is_empty() {
            break;
        }
    }
    Ok((got, end.await))
}

/// Against "hel", a pause, "lo\n": what is buffered comes first, then what
/// arrives, in chunks no bigger than the stream's reads; other reads are
/// then `closed`, a second hand-over `busy`; `close` ends the stream at a
/// clean EOF.
async fn into_stream(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    expect_bytes("readexactly before", reader.readexactly(2).await, b"he")?;
    let (mut stream, end) = reader
        .into_stream()
        .await
        .map_err(|e| format!("into_stream: {e:?}"))?;
    let mut got = Vec::new();
    while got.len() < 4 {
        let (result, chunk) = stream.read(Vec::with_capacity(3)).await;
        check(
            matches!(result, StreamResult::Complete(n) if n <= 3),
            || format!("a stream read of 3 gave {result:?}"),
        )?;
        got.extend_from_slice(&chunk);
    }
    check(got == b"llo\n", || format!("stream bytes {got:?}"))?;
    match reader.readline().await {
        Err(Error::Closed(m)) if m.contains("handed over") => {}
        other => return Err(format!("readline after the hand-over: {other:?}")),
    }
    match reader.into_stream().await {
        Err(Error::Busy(_)) => {}
        other => return Err(format!("a second into_stream: {:?}", other.map(|_| ()))),
    }
    writer.close();
    let (result, rest) = stream.read(Vec::with_capacity(16)).await;
    check(result == StreamResult::Dropped && rest.is_empty(), || {
        format!("the stream after close: {result:?} {rest:?}")
    })?;
    check(end.await.is_ok(), || "end future after close".into())?;
    check(reader.at_eof(), || "at_eof after the stream ended".into())
}

/// Against a peer that stays silent and keeps its side open: `close`
/// ends a stream handed over with nothing buffered, while its reader
/// waits, and at once for a stream not being read (the connection is
/// closed for reading too; the peer's own EOF would come seconds later).
async fn into_stream_close(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    let (mut stream, end) = reader
        .into_stream()
        .await
        .map_err(|e| format!("into_stream: {e:?}"))?;
    let waiting = stream.read(Vec::with_capacity(16));
    let close = async {
        crate::sleep_ms(100).await;
        writer.close();
    };
    let ended = within(1_000, join(waiting, close)).await;
    check(
        matches!(&ended, Some(((StreamResult::Dropped, rest), ())) if rest.is_empty()),
        || format!("a waiting stream read after close: {ended:?}"),
    )?;
    let end = within(1_000, end.into_future()).await;
    check(matches!(end, Some(Ok(()))), || {
        format!("the end future after close: {end:?}")
    })?;
    // A second connection: closed before its stream is read.
    let (reader, writer) = connect(host, port).await?;
    let (mut stream, _end) = reader
        .into_stream()
        .await
        .map_err(|e| format!("into_stream: {e:?}"))?;
    writer.close();
    let after = within(1_000, stream.read(Vec::with_capacity(16))).await;
    check(
        matches!(&after, Some((StreamResult::Dropped, rest)) if rest.is_empty()),
        || format!("a stream read after close: {after:?}"),
    )
}

/// Against a peer that sends ten bytes and resets: the stream gives the
/// ten bytes, then its end future the reset.
async fn into_stream_reset(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let (got, end) = drain_stream(&reader).await?;
    check(got == b"0123456789", || {
        format!("bytes before the reset {got:?}")
    })?;
    match end {
        Err(Error::ConnectionReset(_) | Error::ConnectionAborted(_)) => Ok(()),
        other => Err(format!("end future after a reset: {other:?}")),
    }
}

/// The SDK reader takes its first 64 KiB with `read` calls (the handle
/// still reads then), then the rest through the stream (the handle's
/// reads are `closed`), every byte in order. Against the echo peer.
async fn sdk_hands_over(host: &str, port: u16) -> Outcome {
    const TOTAL: usize = 200_000;
    let (reader, writer) = connect(host, port).await?;
    writer
        .write(&pattern(0, TOTAL))
        .map_err(|e| format!("write: {e:?}"))?;
    let sdk = Sdk::new(reader);
    expect_bytes("first", sdk.readexactly(1_000).await, &pattern(0, 1_000))?;
    expect_bytes("the handle", sdk.0.raw().read(1).await, &pattern(1_000, 1))?;
    let mut offset = 1_001;
    while offset < TOTAL {
        let n = (TOTAL - offset).min(10_000);
        let got = sdk.readexactly(n as i64).await;
        expect_bytes(&format!("at {offset}"), got, &pattern(offset, n))?;
        offset += n;
    }
    match sdk.0.raw().read(1).await {
        Err(Error::Closed(_)) => Ok(()),
        other => Err(format!("the handle's read after 200 KB: {other:?}")),
    }
}

/// The SDK reader's `lines()` against the echo peer: 3,000 lines of 2 to
/// 205 bytes (past the 64 KiB after which the bytes come through the
/// stream), then a last line without a newline at EOF, each once, in
/// order; then the stream of lines ends.
async fn sdk_lines(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    let mut sent: Vec<Vec<u8>> = (0..3_000)
        .map(|i| {
            let mut line = format!("{i}:").into_bytes();
            line.resize(line.len() + i % 200, b'x');
            line.push(b'\n');
            line
        })
        .collect();
    sent.push(b"no newline at EOF".to_vec());
    for batch in sent.chunks(100) {
        writer
            .write(&batch.concat())
            .map_err(|e| format!("write: {e:?}"))?;
    }
    writer
        .write_eof()
        .map_err(|e| format!("write_eof: {e:?}"))?;
    let sdk = portable_streams::Reader::from_raw(reader);
    let mut lines = sdk.lines();
    for (i, want) in sent.iter().enumerate() {
        match lines.next().await {
            Some(Ok(line)) if line == *want => {}
            other => {
                return Err(format!(
                    "line {i}: {:?}",
                    other.map(|l| l.map(|l| String::from_utf8_lossy(&l).into_owned()))
                ));
            }
        }
    }
    match lines.next().await {
        None => Ok(()),
        other => Err(format!(
            "after the last line: {:?}",
            other.map(|l| l.map(|l| l.len()))
        )),
    }
}

/// Bytes written through a `write-from` stream, between list writes, reach
/// the peer in order; `write-from` returns once the stream ended, and a
/// `write-eof` after it comes after every byte (the peer answers with the
/// count it read to EOF).
async fn write_from(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    writer
        .write(b"head ")
        .map_err(|e| format!("write: {e:?}"))?;
    let (mut tx, rx) = wit_stream::new::<u8>();
    let feed = async {
        for _ in 0..64 {
            let rest = tx.write_all(pattern(0, 1000)).await;
            check(rest.is_empty(), || "the stream refused bytes".into())?;
        }
        drop(tx);
        Ok::<(), String>(())
    };
    let (taken, fed) = join(writer.write_from(rx), feed).await;
    fed?;
    taken.map_err(|e| format!("write_from: {e:?}"))?;
    crate::write_then_eof(&writer, b" tail")?;
    expect_bytes("answer", reader.readline().await, b"got 64010 bytes\n")
}

/// After `write-eof`, a `write-from` stream's bytes are refused: the
/// stream is dropped and `write-from` returns `closed` (the refused chunk
/// may have been taken off the stream first, as on the guest).
async fn write_from_after_eof(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    writer
        .write_eof()
        .map_err(|e| format!("write_eof: {e:?}"))?;
    let (mut tx, rx) = wit_stream::new::<u8>();
    let feed = async move {
        let rest = tx.write_all(b"late".to_vec()).await;
        rest.len()
    };
    let (taken, unsent) = join(writer.write_from(rx), feed).await;
    check(unsent == 4 || unsent == 0, || {
        format!("{unsent} bytes unsent")
    })?;
    match taken {
        Err(Error::Closed(_)) => Ok(()),
        other => Err(format!("write_from after write_eof: {other:?}")),
    }
}

/// What the SDK scenarios write, 100,000 bytes of `pattern` in all: a
/// small write (a plain `write` call), a large one (it starts the writer's
/// stream), then small ones queued behind it, in order.
fn sdk_writes(writer: &portable_streams::Writer) -> Outcome {
    let sizes = [1_000, 19_000].into_iter().chain([9_000, 1_000].repeat(8));
    let mut offset = 0;
    for len in sizes {
        writer
            .write(&pattern(offset, len))
            .map_err(|e| format!("write: {e:?}"))?;
        offset += len;
    }
    check(offset == 100_000, || format!("wrote {offset}"))?;
    check(writer.write_buffer_size() >= 99_000, || {
        format!(
            "the outbox holds {} before the pump ran",
            writer.write_buffer_size()
        )
    })
}

/// SDK writes followed at once by `write_eof`: the peer reads every byte
/// before EOF; a write after `write_eof` is `closed` at once.
async fn sdk_write_eof_after_writes(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    let writer = portable_streams::Writer::from_raw(writer);
    sdk_writes(&writer)?;
    writer
        .write_eof()
        .map_err(|e| format!("write_eof: {e:?}"))?;
    match writer.write(b"late") {
        Err(portable_streams::Error::Closed(_)) => {}
        other => return Err(format!("write after write_eof: {other:?}")),
    }
    expect_bytes("answer", reader.readline().await, b"got 100000 bytes\n")
}

/// SDK writes followed at once by `close`: everything is flushed before
/// the connection closes (the peer checks every byte), and `wait_closed`
/// returns after it.
async fn sdk_close_after_writes(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    let writer = portable_streams::Writer::from_raw(writer);
    sdk_writes(&writer)?;
    writer.close();
    check(writer.is_closing(), || "is_closing after close".into())?;
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// On the stream path, a cancelled `readline` loses nothing: the SDK
/// reader takes 100 KB (so it reads through the stream), then a
/// `readline` that finds only `hel` is cancelled; once `lo\n` follows,
/// the next `readline` returns `hello\n` whole. Against the echo peer.
async fn sdk_cancel_in_stream(host: &str, port: u16) -> Outcome {
    const BULK: usize = 100_000;
    let (reader, writer) = connect(host, port).await?;
    let sdk = Sdk::new(reader);
    writer
        .write(&pattern(0, BULK))
        .map_err(|e| format!("write: {e:?}"))?;
    writer.write(b"hel").map_err(|e| format!("write: {e:?}"))?;
    let bulk = sdk.readexactly(BULK as i64).await;
    expect_bytes("the bulk", bulk, &pattern(0, BULK))?;
    check(within(300, sdk.readline()).await.is_none(), || {
        "readline returned before the line was complete".into()
    })?;
    writer.write(b"lo\n").map_err(|e| format!("write: {e:?}"))?;
    expect_bytes(
        "the line after the cancel",
        sdk.readline().await,
        b"hello\n",
    )?;
    match sdk.0.raw().read(1).await {
        Err(Error::Closed(_)) => Ok(()),
        other => Err(format!(
            "expected the stream path, the handle read {other:?}"
        )),
    }
}
