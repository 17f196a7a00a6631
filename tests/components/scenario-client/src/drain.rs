//! `drain` around the writer's own end, on the binding and on the SDK
//! writer: asyncio answers a drain that already waits when `close` or
//! `abort` comes differently from one that begins afterwards.

use futures::future::join;
use portable_streams::bindings::portable::streams::streams::Writer;

use crate::write_side::{WriteSide, end_after};
use crate::{Outcome, check, connect, connection_lost, pattern};

/// What each connection writes: more than loopback's socket buffers hold
/// while the peer reads nothing, so writing pauses.
const BULK: usize = 16 << 20;

/// Runs `scenario` if it is one of this file's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "drain-outlives-own-end" => drain_outlives_own_end(host, port, |w| w).await,
        "sdk-drain-outlives-own-end" => {
            drain_outlives_own_end(host, port, portable_streams::Writer::from_raw).await
        }
        _ => return None,
    })
}

/// Three connections to a peer that reads nothing for its first 500 ms
/// (checked in CPython 3.11):
///
/// 1. A drain waiting when the writer aborts returns (asyncio's
///    `connection_lost(None)` gives its waiter a result); a drain begun
///    after the abort fails with "Connection lost".
/// 2. A drain waiting when the writer closes goes on waiting, and returns
///    once the peer read enough; every byte arrives.
/// 3. A drain begun after `close`, while the buffer still drains and
///    writing is not paused, returns at once (the connection is not lost
///    yet); every byte arrives.
async fn drain_outlives_own_end<W: WriteSide>(
    host: &str,
    port: u16,
    side: impl Fn(Writer) -> W,
) -> Outcome {
    for abort in [true, false] {
        let how = if abort { "abort" } else { "close" };
        let (_reader, writer) = connect(host, port).await?;
        let writer = side(writer);
        writer
            .write(&pattern(0, BULK))
            .map_err(|e| format!("write: {e:?}"))?;
        let (size, high) = (writer.size(), writer.limits().1);
        check(size > high, || {
            format!("writing did not pause: {size} bytes buffered, high {high}")
        })?;
        let (drained, ()) = join(writer.drain(), end_after(&writer, 100, abort)).await;
        drained.map_err(|e| format!("a drain waiting across {how}: {e:?}"))?;
        if abort {
            connection_lost("a drain after abort", writer.drain().await)?;
        }
        writer
            .wait_closed()
            .await
            .map_err(|e| format!("wait_closed: {e:?}"))?;
    }
    let (_reader, writer) = connect(host, port).await?;
    let writer = side(writer);
    writer
        .set_limits(Some(4 * BULK as u64), None)
        .map_err(|e| format!("set_write_buffer_limits: {e:?}"))?;
    writer
        .write(&pattern(0, BULK))
        .map_err(|e| format!("write: {e:?}"))?;
    writer.close();
    let size = writer.size();
    check(size > 0, || "the buffer drained at once".into())?;
    writer
        .drain()
        .await
        .map_err(|e| format!("a drain after close, {size} bytes still buffered: {e:?}"))?;
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}
