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
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn pipe_transport() -> (Transport, tokio::io::DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(64);
        let (source, sink) = tokio::io::split(ours);
        let transport = Transport::new(Box::pin(source), Box::pin(sink));
        (transport, theirs)
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_waiting_past_the_timeout_fails_with_timed_out() {
        let (transport, _peer) = pipe_transport();
        let mut transport = with_idle_timeout(transport, Duration::from_secs(5));
        let mut buf = [0u8; 8];
        let error = transport.source.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(error.to_string().contains("idle timeout"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn data_restarts_the_clock() {
        let (transport, mut peer) = pipe_transport();
        let mut transport = with_idle_timeout(transport, Duration::from_secs(5));
        let writer = tokio::spawn(async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                peer.write_all(b"x").await.unwrap();
            }
            peer
        });
        let mut buf = [0u8; 8];
        for _ in 0..3 {
            // Each byte comes 4 s after the last: never 5 s of silence.
            assert_eq!(transport.source.read(&mut buf).await.unwrap(), 1);
        }
        let _peer = writer.await.unwrap();
        let error = transport.source.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }
}
