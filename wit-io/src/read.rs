//! A stream read that holds no buffer while it waits.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wit_bindgen::{StreamReader, StreamResult};

/// Reads at most `max` bytes from `stream`, holding no buffer while it
/// waits: a read is tried at once, and when nothing is ready a zero-length
/// read waits for the writer, so a thousand idle readers do not each keep
/// a `max`-sized buffer. Returns how the read ended and the bytes read,
/// after `front` bytes of free room (zeros) at the vector's start, where
/// the caller may put bytes of its own before them without moving them;
/// `Dropped` (with an empty vector) once the writer is gone.
///
/// Cancellation safe: a dropped call holds no bytes (the attempt that may
/// take them finishes or is cancelled within one poll, and a cancelled
/// attempt's bytes are returned).
pub async fn read_when_ready(
    stream: &mut StreamReader<u8>,
    max: usize,
    front: usize,
) -> (StreamResult, Vec<u8>) {
    loop {
        let attempt = {
            let mut buffer = Vec::with_capacity(front + max);
            buffer.resize(front, 0);
            let mut read = pin!(stream.read(buffer));
            match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(done) => done,
                // Cancelling may still yield bytes that raced in.
                Poll::Pending => read.cancel(),
            }
        };
        match attempt {
            (StreamResult::Cancelled | StreamResult::Complete(0), _) => {}
            done => return done,
        }
        let (ready, _) = stream.read(Vec::new()).await;
        if ready == StreamResult::Dropped {
            return (StreamResult::Dropped, Vec::new());
        }
    }
}
