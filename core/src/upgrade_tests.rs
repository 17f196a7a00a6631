use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::ReadBuffer;

/// A connection whose transport is a flag per direction, logging each step.
struct Fake {
    engine: RefCell<Connection>,
    plain: RefCell<(bool, bool)>,
    log: RefCell<Vec<&'static str>>,
}

impl Fake {
    fn new() -> Self {
        Self {
            engine: RefCell::new(Connection::new(ReadBuffer::new(64).unwrap())),
            plain: RefCell::new((true, true)),
            log: RefCell::default(),
        }
    }

    fn log(&self) -> Vec<&'static str> {
        self.log.borrow().clone()
    }

    fn closed_with(&self) -> Option<Result<(), Error>> {
        self.engine.borrow().closed_status()
    }
}

impl Upgrade for Fake {
    type Plain = ();
    type Secured = &'static str;

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.engine.borrow_mut())
    }

    async fn flush(&self) -> Result<(), Error> {
        self.log.borrow_mut().push("flush");
        // Nothing is ever sent here: a flush that would wait goes on.
        let status = self.engine.borrow_mut().flush_status();
        status.answer().unwrap_or(Ok(()))
    }

    async fn take_plain(&self) -> Option<()> {
        self.log.borrow_mut().push("take");
        let mut plain = self.plain.borrow_mut();
        let both = plain.0 && plain.1;
        if both {
            *plain = (false, false);
        }
        both.then_some(())
    }

    fn lost(&self, error: Option<Error>) {
        self.log.borrow_mut().push("lost");
        let _ = self.engine.borrow_mut().lost(error);
    }

    fn carry_on(&self, secured: &'static str) {
        assert_eq!(secured, "secured");
        self.log.borrow_mut().push("carry on");
    }
}

/// Polls `future` to its end; every future here is ready at once.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn prepared() -> Result<(), Error> {
    Ok(())
}

/// `start_tls` on `conn` with a side that must not be made: the engine
/// refuses first.
fn refused_before_the_side(conn: &Fake) -> Result<(), Error> {
    run(start_tls(
        conn,
        || -> Result<(), Error> { panic!("the side was made") },
        |(), ()| shakes_hands(conn),
    ))
}

async fn shakes_hands(conn: &Fake) -> Result<&'static str, Error> {
    conn.log.borrow_mut().push("handshake");
    Ok("secured")
}

#[test]
fn take_both_takes_both_or_neither() {
    let (mut a, mut b) = (Some(1), Some('x'));
    assert_eq!(take_both(&mut a, &mut b), Some((1, 'x')));
    assert_eq!((a, b), (None, None));
    let (mut a, mut b) = (Some(1), None::<char>);
    assert_eq!(take_both(&mut a, &mut b), None);
    assert_eq!((a, b), (Some(1), None), "the one present stays");
}

#[test]
fn sends_what_was_written_then_shakes_hands_over_both_directions() {
    let conn = Fake::new();
    let result = run(start_tls(&conn, prepared, |(), ()| shakes_hands(&conn)));
    assert_eq!(result, Ok(()));
    assert_eq!(conn.log(), ["flush", "take", "handshake", "carry on"]);
}

#[test]
fn a_refused_side_leaves_the_connection_untouched() {
    let conn = Fake::new();
    let refused = Error::Tls("bad certificate".into());
    let result = run(start_tls(
        &conn,
        || Err::<(), _>(refused.clone()),
        |(), ()| shakes_hands(&conn),
    ));
    assert_eq!(result, Err(refused));
    assert!(conn.log().is_empty(), "{:?}", conn.log());
    assert_eq!(conn.closed_with(), None);
}

#[test]
fn a_closing_connection_is_refused_before_the_side_is_made() {
    let conn = Fake::new();
    let _ = conn.engine.borrow_mut().close();
    let result = refused_before_the_side(&conn);
    assert!(result.is_err());
    assert!(conn.log().is_empty(), "{:?}", conn.log());
}

#[test]
fn after_write_eof_it_is_closed_and_not_lost() {
    let conn = Fake::new();
    let _ = conn.engine.borrow_mut().write_eof();
    let result = refused_before_the_side(&conn);
    assert_eq!(result, Err(upgrade_needs_both_directions()));
    assert!(conn.log().is_empty(), "{:?}", conn.log());
    assert_eq!(conn.closed_with(), None);
    conn.engine.borrow_mut().eof_sent();
    let again = run(start_tls(&conn, prepared, |(), ()| shakes_hands(&conn)));
    assert_eq!(again, Err(upgrade_needs_both_directions()));
}

#[test]
fn one_direction_missing_is_closed_and_not_lost() {
    let conn = Fake::new();
    conn.plain.borrow_mut().1 = false;
    let result = run(start_tls(&conn, prepared, |(), ()| shakes_hands(&conn)));
    assert_eq!(result, Err(upgrade_needs_both_directions()));
    assert_eq!(conn.log(), ["flush", "take"]);
    assert_eq!(conn.closed_with(), None);
}

#[test]
fn a_failed_handshake_loses_the_connection_with_its_error() {
    let conn = Fake::new();
    let failed = Error::Tls("handshake failed".into());
    let result = run(start_tls(&conn, prepared, |(), ()| {
        let failed = failed.clone();
        async move { Err::<&'static str, _>(failed) }
    }));
    assert_eq!(result, Err(failed.clone()));
    assert_eq!(conn.log(), ["flush", "take", "lost"]);
    assert_eq!(conn.closed_with(), Some(Err(failed)));
}

#[test]
fn a_cancelled_handshake_loses_the_connection() {
    let conn = Fake::new();
    {
        let call = start_tls(&conn, prepared, |(), ()| {
            std::future::pending::<Result<&'static str, Error>>()
        });
        let mut call = pin!(call);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(conn.log(), ["flush", "take", "lost"]);
    assert_eq!(conn.closed_with(), Some(Err(start_tls_cancelled())));
}

#[test]
fn a_connection_lost_during_the_handshake_stays_lost() {
    let conn = Fake::new();
    let result = run(start_tls(&conn, prepared, |(), ()| async {
        conn.lost(None);
        Ok("secured")
    }));
    assert_eq!(result, Err(Error::connection_lost()));
    assert_eq!(conn.log(), ["flush", "take", "lost"]);
}
