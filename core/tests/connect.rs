//! The staggered race of connection attempts (asyncio's `staggered_race`),
//! driven without any I/O.

use std::cell::RefCell;
use std::net::SocketAddr;

use futures::FutureExt;
use futures::future::{BoxFuture, pending, ready};
use portable_streams_core::Error;
use portable_streams_core::connect::staggered_race;

fn addrs(n: u16) -> Vec<SocketAddr> {
    (1..=n)
        .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
        .collect()
}

#[test]
fn the_first_success_wins_after_earlier_failures() {
    let started = RefCell::new(Vec::new());
    let won = staggered_race(
        addrs(3),
        None,
        |a| {
            started.borrow_mut().push(a.port());
            if a.port() == 1 {
                ready(Err(Error::ConnectionRefused("1".into())))
            } else {
                ready(Ok(a.port()))
            }
        },
        |_| ready(()),
    )
    .now_or_never()
    .expect("finished");
    assert_eq!(won, Ok(2));
    assert_eq!(*started.borrow(), vec![1, 2], "the third was never tried");
}

#[test]
fn without_a_delay_the_next_attempt_waits_for_the_running_one() {
    let started = RefCell::new(0);
    let race = staggered_race(
        addrs(2),
        None,
        |_| {
            *started.borrow_mut() += 1;
            pending::<Result<(), Error>>()
        },
        |_| ready(()),
    )
    .now_or_never();
    assert!(race.is_none());
    assert_eq!(*started.borrow(), 1);
}

#[test]
fn with_a_delay_the_next_attempt_starts_while_one_is_pending() {
    let race = staggered_race(
        addrs(2),
        Some(250_000_000),
        |a| -> BoxFuture<'static, Result<u16, Error>> {
            if a.port() == 1 {
                pending().boxed()
            } else {
                ready(Ok(2)).boxed()
            }
        },
        |_| ready(()),
    )
    .now_or_never();
    assert_eq!(race, Some(Ok(2)));
}

#[test]
fn when_every_attempt_fails_the_most_specific_error_is_reported() {
    let errors = [
        Error::HostUnreachable("no route".into()),
        Error::ConnectionRefused("refused".into()),
        Error::Other("other".into()),
    ];
    let result = staggered_race(
        addrs(3),
        None,
        |a| ready(Err::<(), _>(errors[usize::from(a.port()) - 1].clone())),
        |_| ready(()),
    )
    .now_or_never()
    .expect("finished");
    assert!(
        matches!(result, Err(Error::ConnectionRefused(_))),
        "{result:?}"
    );
}

#[test]
fn no_address_at_all_is_an_error_not_a_hang() {
    let result = staggered_race(addrs(0), None, |_| ready(Ok(())), |_| ready(()))
        .now_or_never()
        .expect("finished");
    assert!(result.is_err());
}

#[test]
fn a_bounded_connect_names_its_target_and_bound_once_the_timer_fires() {
    use portable_streams_core::connect::bounded;
    // TCP and Unix connects word it the same way.
    let hung = bounded::<(), _, _>("/tmp/app.sock", Some(1_500_000_000), pending(), |_| {
        ready(())
    })
    .now_or_never()
    .expect("the timer fired");
    assert_eq!(
        hung,
        Err(Error::Timeout(
            "connecting to /tmp/app.sock took longer than 1500 ms".into()
        ))
    );
    // A connect that finishes first wins, whatever the timer does.
    let done = bounded("example.org port 80", Some(1), ready(Ok(7)), |_| ready(()))
        .now_or_never()
        .expect("finished");
    assert_eq!(done, Ok(7));
    // No bound: only the connect decides (the timer is never asked).
    let unbounded = bounded("x", None, ready(Ok(1)), |_| -> futures::future::Ready<()> {
        panic!("no timer without a bound")
    })
    .now_or_never();
    assert_eq!(unbounded, Some(Ok(1)));
}
