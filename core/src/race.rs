//! Racing two futures.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Which of two raced futures finished first.
#[derive(Debug)]
pub enum Either<A, B> {
    /// The first one.
    Left(A),
    /// The second one.
    Right(B),
}

/// Polls `a` and `b` until one finishes (`a` first when both are ready);
/// the other is dropped before this returns.
pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Waker};

    fn poll_once<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn race_prefers_the_first_ready_future() {
        let mut both = pin!(race(async { 1 }, async { 2 }));
        assert!(matches!(
            poll_once(both.as_mut(), Waker::noop()),
            Poll::Ready(Either::Left(1))
        ));
        let mut second = pin!(race(std::future::pending::<()>(), async { 2 }));
        assert!(matches!(
            poll_once(second.as_mut(), Waker::noop()),
            Poll::Ready(Either::Right(2))
        ));
    }
}
