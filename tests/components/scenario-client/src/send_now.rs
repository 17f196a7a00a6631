//! Writes sent at once: `write` hands bytes to a transport with room before
//! it returns (asyncio's `write` tries the socket first), and a write left
//! in flight is carried on, or cancelled by `abort`, without losing order.

use portable_streams::bindings::portable::streams::streams::{WrapOptions, Writer, wrap};
use portable_streams::bindings::wit_stream;
use wit_bindgen::{StreamReader, StreamResult};

use crate::{Outcome, check, connect, expect_bytes, pattern, within};

/// Runs `scenario` if it is one of the send-at-once ones.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "write-at-once" => write_at_once(host, port).await,
        "wrap-write-in-flight" => wrap_write_in_flight().await,
        "wrap-abort-in-flight" => wrap_abort_in_flight().await,
        _ => return None,
    })
}

/// Against an echo peer: a small `write` and `writelines` on an idle
/// socket leave nothing buffered when they return, and come back in order.
async fn write_at_once(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    writer
        .write(&pattern(0, 100))
        .map_err(|e| format!("write: {e:?}"))?;
    buffered_nothing(&writer, "write")?;
    expect_bytes(
        "echo of write",
        reader.readexactly(100).await,
        &pattern(0, 100),
    )?;
    writer
        .writelines(&[pattern(100, 10), pattern(110, 20)])
        .map_err(|e| format!("writelines: {e:?}"))?;
    buffered_nothing(&writer, "writelines")?;
    expect_bytes(
        "echo of writelines",
        reader.readexactly(30).await,
        &pattern(100, 30),
    )?;
    crate::close_cleanly(&writer).await
}

fn buffered_nothing(writer: &Writer, call: &str) -> Outcome {
    let size = writer.write_buffer_size();
    check(size == 0, || {
        format!("{size} bytes still buffered after {call} on an idle socket")
    })
}

/// Reads `output` until it ends or `want` bytes came.
async fn read_output(output: &mut StreamReader<u8>, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let (result, chunk) = output.read(Vec::with_capacity(want - got.len())).await;
        got.extend_from_slice(&chunk);
        if result != StreamResult::Complete(chunk.len()) || chunk.is_empty() {
            break;
        }
    }
    got
}

/// `wrap`'s output is not being read when `write` returns (on the guest the
/// write is then in flight): the bytes still come out in order, with later
/// writes after them, `drain` returns once they are taken, and `close` ends
/// the output.
async fn wrap_write_in_flight() -> Outcome {
    let (_input_tx, input) = wit_stream::new::<u8>();
    let (_reader, writer, mut output) = wrap(input, WrapOptions { limit: None });
    writer
        .write(&pattern(0, 1000))
        .map_err(|e| format!("write: {e:?}"))?;
    let first = within(5_000, read_output(&mut output, 1000)).await;
    check(first.as_deref() == Some(&pattern(0, 1000)[..]), || {
        format!("first write came out as {:?} bytes", first.map(|v| v.len()))
    })?;
    writer
        .write(&pattern(1000, 500))
        .map_err(|e| format!("second write: {e:?}"))?;
    writer
        .writelines(&[pattern(1500, 300), pattern(1800, 200)])
        .map_err(|e| format!("writelines: {e:?}"))?;
    let (rest, drained) = futures::future::join(read_output(&mut output, 1000), async {
        within(5_000, writer.drain()).await
    })
    .await;
    check(rest == pattern(1000, 1000), || {
        format!(
            "later writes came out as {} bytes, or out of order",
            rest.len()
        )
    })?;
    check(matches!(drained, Some(Ok(()))), || {
        format!("drain after the output took everything: {drained:?}")
    })?;
    writer.close();
    let end = within(5_000, read_output(&mut output, 1)).await;
    check(end.as_ref().is_some_and(|v| v.is_empty()), || {
        format!("after close the output gave {end:?}")
    })?;
    within(5_000, writer.wait_closed())
        .await
        .ok_or("wait_closed hung")?
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// `abort` while `wrap`'s output is not being read (on the guest a write is
/// in flight): no trap, `wait_closed` returns, and the output gives at most
/// a prefix of the bytes (what the transport had taken) and then ends.
async fn wrap_abort_in_flight() -> Outcome {
    let (_input_tx, input) = wit_stream::new::<u8>();
    let (_reader, writer, mut output) = wrap(input, WrapOptions { limit: None });
    let data = pattern(0, 4000);
    writer.write(&data).map_err(|e| format!("write: {e:?}"))?;
    writer.abort();
    check(writer.write_buffer_size() == 0, || {
        format!("abort left {} bytes buffered", writer.write_buffer_size())
    })?;
    let closed = within(5_000, writer.wait_closed()).await;
    check(closed.is_some(), || "wait_closed hung after abort".into())?;
    let got = within(5_000, read_output(&mut output, data.len() + 1)).await;
    match got {
        Some(got) if data.starts_with(&got) => Ok(()),
        other => Err(format!(
            "after abort the output gave {:?} bytes, not a prefix that ends",
            other.map(|v| v.len())
        )),
    }
}
