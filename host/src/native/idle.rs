//! The idle timeout, as a layer over a transport's receiving half: a read
//! that has waited this long without a byte fails with `TimedOut`, and the
//! connection is then lost with the typed `timeout` error (its socket is
//! closed, the handler's read returns the error).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::transport::{Receive, Source, Transport};

/// Wraps `transport`'s receiving half with an idle timeout.
pub(crate) fn with_idle_timeout(transport: Transport, timeout: Duration) -> Transport {
    Transport {
        source: Box::pin(IdleSource {
            inner: transport.source,
            timeout,
            deadline: None,
        }),
        ..transport
    }
}

/// A source whose reads fail once one has waited `timeout` for data.
struct IdleSource {
    inner: Source,
    timeout: Duration,
    /// Set when a read starts waiting, cleared when it gets an answer.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl IdleSource {
    /// Whether the wait that has not been answered has lasted `timeout`:
    /// the clock starts with the first unanswered poll.
    fn poll_timed_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.timeout;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        std::task::ready!(deadline.as_mut().poll(cx));
        self.deadline = None;
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "no data from the client for {} s (idle timeout)",
                timeout.as_secs_f64()
            ),
        ))
    }
}

impl AsyncRead for IdleSource {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Poll::Ready(result) = this.inner.as_mut().poll_read(cx, buf) {
            this.deadline = None;
            return Poll::Ready(result);
        }
        this.poll_timed_out(cx).map(Err)
    }
}

impl Receive for IdleSource {
    /// The inner half's readiness, or the timeout's error once the wait
    /// has lasted it. The clock runs on until a read is answered.
    fn poll_readable(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Poll::Ready(result) = this.inner.as_mut().poll_readable(cx) {
            return Poll::Ready(result);
        }
        this.poll_timed_out(cx).map(Err)
    }
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
