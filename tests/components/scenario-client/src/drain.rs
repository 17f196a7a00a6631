//! `drain` around the writer's own end, on the binding and on the SDK
//! writer: asyncio answers a drain that already waits when `close` or
//! `abort` comes differently from one that begins afterwards.

use futures::future::join;
use portable_streams::bindings::portable::streams::streams::Writer;

use crate::{Outcome, check, connect, pattern, sleep_ms};

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

/// The writer calls the scenario makes, on the binding or the SDK.
trait WriteSide {
    fn write(&self, data: &[u8]) -> Outcome;
    async fn drain(&self) -> Outcome;
    fn close(&self);
    fn abort(&self);
    fn set_high(&self, high: u64) -> Outcome;
    fn size(&self) -> u64;
    fn high(&self) -> u64;
    async fn wait_closed(&self) -> Outcome;
}

impl WriteSide for Writer {
    fn write(&self, data: &[u8]) -> Outcome {
        Writer::write(self, data).map_err(|e| format!("write: {e:?}"))
    }
    async fn drain(&self) -> Outcome {
        Writer::drain(self).await.map_err(|e| format!("{e:?}"))
    }
    fn close(&self) {
        Writer::close(self)
    }
    fn abort(&self) {
        Writer::abort(self)
    }
    fn set_high(&self, high: u64) -> Outcome {
        self.set_write_buffer_limits(Some(high), None)
            .map_err(|e| format!("set_write_buffer_limits: {e:?}"))
    }
    fn size(&self) -> u64 {
        self.write_buffer_size()
    }
    fn high(&self) -> u64 {
        self.get_write_buffer_limits().1
    }
    async fn wait_closed(&self) -> Outcome {
        Writer::wait_closed(self)
            .await
            .map_err(|e| format!("wait_closed: {e:?}"))
    }
}

impl WriteSide for portable_streams::Writer {
    fn write(&self, data: &[u8]) -> Outcome {
        portable_streams::Writer::write(self, data).map_err(|e| format!("write: {e:?}"))
    }
    async fn drain(&self) -> Outcome {
        portable_streams::Writer::drain(self)
            .await
            .map_err(|e| format!("{e:?}"))
    }
    fn close(&self) {
        portable_streams::Writer::close(self)
    }
    fn abort(&self) {
        portable_streams::Writer::abort(self)
    }
    fn set_high(&self, high: u64) -> Outcome {
        self.set_write_buffer_limits(Some(high), None)
            .map_err(|e| format!("set_write_buffer_limits: {e:?}"))
    }
    fn size(&self) -> u64 {
        self.write_buffer_size()
    }
    fn high(&self) -> u64 {
        self.write_buffer_limits().1
    }
    async fn wait_closed(&self) -> Outcome {
        portable_streams::Writer::wait_closed(self)
            .await
            .map_err(|e| format!("wait_closed: {e:?}"))
    }
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
        writer.write(&pattern(0, BULK))?;
        let (size, high) = (writer.size(), writer.high());
        check(size > high, || {
            format!("writing did not pause: {size} bytes buffered, high {high}")
        })?;
        let end = async {
            sleep_ms(100).await;
            if abort {
                writer.abort()
            } else {
                writer.close()
            }
        };
        let (drained, ()) = join(writer.drain(), end).await;
        drained.map_err(|e| format!("a drain waiting across {how}: {e}"))?;
        if abort {
            match writer.drain().await {
                Err(e) if e.ends_with(r#"ConnectionReset("Connection lost")"#) => {}
                other => return Err(format!("a drain after abort: {other:?}")),
            }
        }
        writer.wait_closed().await?;
    }
    let (_reader, writer) = connect(host, port).await?;
    let writer = side(writer);
    writer.set_high(4 * BULK as u64)?;
    writer.write(&pattern(0, BULK))?;
    writer.close();
    let size = writer.size();
    check(size > 0, || "the buffer drained at once".into())?;
    writer
        .drain()
        .await
        .map_err(|e| format!("a drain after close, {size} bytes still buffered: {e}"))?;
    writer.wait_closed().await
}
