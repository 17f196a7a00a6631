//! The `stream<u8>` data path: `into-stream` on the binding, and the SDK
//! reader that uses it underneath.

use futures::future::join;
use portable_streams::bindings::portable::streams::streams::{Error, Reader};
use wit_bindgen::StreamResult;

use crate::{Outcome, ReadSide, Sdk, check, connect, expect_bytes, pattern};

/// Runs `scenario` if it is one of the data path's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "into-stream" => into_stream(host, port).await,
        "into-stream-reset" => into_stream_reset(host, port).await,
        "sdk-hands-over" => sdk_hands_over(host, port).await,
        "sdk-bulk" => sdk_bulk(host, port).await,
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

/// The SDK reader takes its bytes through the stream: after its first
/// read, the handle's own reads are `closed`.
async fn sdk_hands_over(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let sdk = Sdk::new(reader);
    expect_bytes("sdk readline", sdk.readline().await, b"hello\n")?;
    match sdk.0.raw().read(1).await {
        Err(Error::Closed(_)) => Ok(()),
        other => Err(format!("the handle's read after the SDK's: {other:?}")),
    }
}

/// 16 MiB echoed through the SDK reader's stream, checked byte for byte.
async fn sdk_bulk(host: &str, port: u16) -> Outcome {
    const TOTAL: usize = 16 << 20;
    const CHUNK: usize = 64 << 10;
    let (reader, writer) = connect(host, port).await?;
    let reader = Sdk::new(reader);
    let send = async {
        for off in (0..TOTAL).step_by(CHUNK) {
            writer
                .write(&pattern(off, CHUNK))
                .map_err(|e| format!("{e:?}"))?;
            writer.drain().await.map_err(|e| format!("drain: {e:?}"))?;
        }
        writer.write_eof().map_err(|e| format!("write_eof: {e:?}"))
    };
    let receive = async {
        for off in (0..TOTAL).step_by(CHUNK) {
            let got = reader
                .readexactly(CHUNK as i64)
                .await
                .map_err(|e| format!("at {off}: {e:?}"))?;
            check(got == pattern(off, CHUNK), || {
                format!("bytes differ at {off}")
            })?;
        }
        expect_bytes("EOF", reader.read(100).await, b"")?;
        check(reader.at_eof(), || "at_eof at the end".into())
    };
    let (sent, received) = join(send, receive).await;
    sent.and(received)
}
