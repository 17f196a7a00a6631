//! The order of `open_connection`'s steps, the same for TCP and Unix
//! sockets on every backend: the reader first (asyncio creates the
//! `StreamReader`, and so checks `limit=`, before anything else), then
//! the TLS options, then the connection's place under the cap, then the
//! connection itself, then the TLS handshake. The first step that fails
//! ends it: no later step runs, and a place taken under the cap is freed.

use std::future::Future;

use crate::caps::Permit;
use crate::{Error, ReadBuffer};

/// An opened connection, for its engine to start over.
#[derive(Debug)]
pub struct Opened<T> {
    /// The transport, secured when TLS was asked for.
    pub transport: T,
    /// The reader, with the asked limit.
    pub read: ReadBuffer,
    /// The connection's place under the cap, freed when it closes.
    pub permit: Permit,
}

/// Opens a connection in asyncio's order (see the module docs): `read` is
/// the reader for the `limit=` option, `tls` makes the TLS side from the
/// `ssl=` options (none for a plain connection), `permit` takes a place
/// under the connection cap, `connect` connects (it is not polled before
/// the steps ahead of it succeeded), and `secure` runs the handshake.
pub async fn open<T, S>(
    read: Result<ReadBuffer, Error>,
    tls: impl FnOnce() -> Result<Option<S>, Error>,
    permit: impl FnOnce() -> Result<Permit, Error>,
    connect: impl Future<Output = Result<T, Error>>,
    secure: impl AsyncFnOnce(T, S) -> Result<T, Error>,
) -> Result<Opened<T>, Error> {
    let read = read?;
    let side = tls()?;
    let permit = permit()?;
    let plain = connect.await?;
    let transport = match side {
        Some(side) => secure(plain, side).await?,
        None => plain,
    };
    Ok(Opened {
        transport,
        read,
        permit,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;
    use crate::caps::ConnectionCount;

    /// Opens with each step recording itself; `fail` names the step that
    /// fails.
    fn run(fail: &str, tls: bool) -> (Result<Opened<&'static str>, Error>, Vec<&'static str>) {
        let steps = RefCell::new(Vec::new());
        let failing = |step: &'static str| {
            steps.borrow_mut().push(step);
            if step == fail {
                Err(Error::Other(step.into()))
            } else {
                Ok(())
            }
        };
        let count = ConnectionCount::default();
        let read = failing("read").and_then(|()| ReadBuffer::new(16));
        let opened = block_on(open(
            read,
            || failing("tls").map(|()| tls.then_some("side")),
            || failing("permit").and_then(|()| count.try_permit(None)),
            async { failing("connect").map(|()| "plain") },
            async |plain, side| {
                failing("secure")?;
                assert_eq!((plain, side), ("plain", "side"));
                Ok("secured")
            },
        ));
        let steps = steps.into_inner();
        (opened, steps)
    }

    #[test]
    fn steps_run_in_asyncios_order() {
        let (opened, steps) = run("", true);
        assert_eq!(steps, ["read", "tls", "permit", "connect", "secure"]);
        let opened = opened.unwrap();
        assert_eq!(opened.transport, "secured");
        assert_eq!(opened.read.limit(), 16);
        let (plain, steps) = run("", false);
        assert_eq!(steps, ["read", "tls", "permit", "connect"], "no handshake");
        assert_eq!(plain.unwrap().transport, "plain");
    }

    #[test]
    fn the_first_failing_step_ends_it() {
        for (fail, ran) in [
            ("read", 1),
            ("tls", 2),
            ("permit", 3),
            ("connect", 4),
            ("secure", 5),
        ] {
            let (opened, steps) = run(fail, true);
            assert!(matches!(opened, Err(Error::Other(m)) if m == fail));
            assert_eq!(steps.len(), ran, "{fail}: {steps:?}");
        }
    }

    #[test]
    fn a_failed_step_frees_the_place_under_the_cap() {
        let count = ConnectionCount::default();
        let failed = block_on(open(
            ReadBuffer::new(16),
            || Ok(None::<()>),
            || count.try_permit(Some(1)),
            async { Err::<(), _>(Error::ConnectionRefused("refused".into())) },
            async |plain, ()| Ok(plain),
        ));
        assert!(matches!(failed, Err(Error::ConnectionRefused(_))));
        assert!(count.try_permit(Some(1)).is_ok(), "the place is free again");
    }
}
