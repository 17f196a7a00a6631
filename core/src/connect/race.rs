//! Connection attempts (asyncio's `create_connection`): the order of the
//! addresses, the staggered race, and which error is reported once every
//! attempt failed.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;

use crate::Error;

/// asyncio's default `interleave`: 1 when `happy_eyeballs_delay` is set
/// (alternate families from the first address on), else 0 (resolver order).
pub fn effective_interleave(interleave: Option<u32>, happy_eyeballs: bool) -> usize {
    match interleave {
        Some(n) => n as usize,
        None if happy_eyeballs => 1,
        None => 0,
    }
}

/// asyncio's `_interleave_addrinfos`: group addresses by family (in order of
/// first appearance), put `first_family_count - 1` addresses of the first
/// family first, then alternate between the families. A count of 0 keeps
/// the resolver's order.
pub fn interleave(addrs: Vec<SocketAddr>, first_family_count: usize) -> Vec<SocketAddr> {
    if first_family_count == 0 {
        return addrs;
    }
    let mut groups: Vec<Vec<SocketAddr>> = Vec::new();
    for addr in addrs {
        match groups.iter_mut().find(|g| g[0].is_ipv4() == addr.is_ipv4()) {
            Some(group) => group.push(addr),
            None => groups.push(vec![addr]),
        }
    }
    let mut out = Vec::new();
    let mut iters: Vec<_> = groups.into_iter().map(Vec::into_iter).collect();
    if let Some(first) = iters.first_mut() {
        out.extend(first.by_ref().take(first_family_count - 1));
    }
    loop {
        let before = out.len();
        for it in &mut iters {
            out.extend(it.next());
        }
        if out.len() == before {
            return out;
        }
    }
}

/// How telling an error is about why a connect failed; the report of a
/// failed multi-address connect keeps the most telling kind.
fn specificity(error: &Error) -> u8 {
    match error {
        Error::ConnectionRefused(_) => 9,
        Error::Timeout(_) => 8,
        Error::HostUnreachable(_) => 7,
        Error::ConnectionReset(_) | Error::ConnectionAborted(_) => 6,
        Error::AccessDenied(_) => 5,
        Error::AddressInUse(_) | Error::AddressNotAvailable(_) => 4,
        Error::NameUnresolvable(_) => 3,
        Error::InvalidArgument(_) | Error::Unsupported(_) => 2,
        _ => 1,
    }
}

/// The error of a connect whose every attempt failed: one failure is
/// reported as it is; several keep the most specific kind (refused over
/// timeout over unreachable ...) with asyncio's "Multiple exceptions: ..."
/// message listing each attempt.
pub fn most_specific(errors: Vec<Error>) -> Error {
    let mut errors = errors;
    match errors.len() {
        0 => return Error::Other("no address to connect to".into()),
        1 => return errors.remove(0),
        _ => {}
    }
    let messages: Vec<String> = errors.iter().map(Error::message).collect();
    let first = messages[0].clone();
    let best = errors
        .into_iter()
        .enumerate()
        .max_by_key(|(i, e)| (specificity(e), std::cmp::Reverse(*i)))
        .map(|(_, e)| e)
        .expect("at least two errors");
    if messages.iter().all(|m| *m == first) {
        return best.with_message(first);
    }
    best.with_message(format!("Multiple exceptions: {}", messages.join(", ")))
}

/// An address as asyncio prints it in messages: `('127.0.0.1', 8888)` or
/// `('::1', 8888, 0, 0)`.
pub fn py_addr(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("('{}', {})", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!(
            "('{}', {}, {}, {})",
            v6.ip(),
            v6.port(),
            v6.flowinfo(),
            v6.scope_id()
        ),
    }
}

/// asyncio's `staggered_race`: start the first attempt; start the next one
/// when the running one fails or, with a `delay` (nanoseconds), when the
/// delay passed since the last start. The first success wins (the other
/// attempts are dropped, which cancels them); if all fail, the most
/// specific error is reported. `sleep` is the backend's timer.
///
/// Cancellation: dropping the future cancels every running attempt.
pub async fn staggered_race<T, A, F, S, W>(
    addrs: Vec<SocketAddr>,
    delay: Option<u64>,
    mut attempt: A,
    mut sleep: S,
) -> Result<T, Error>
where
    A: FnMut(SocketAddr) -> F,
    F: Future<Output = Result<T, Error>>,
    S: FnMut(u64) -> W,
    W: Future<Output = ()>,
{
    let mut errors: Vec<Option<Error>> = addrs.iter().map(|_| None).collect();
    let mut running: Vec<(usize, Pin<Box<F>>)> = Vec::new();
    let mut timer: Option<Pin<Box<W>>> = None;
    let mut next = 0;
    let mut start = true;
    poll_fn(move |cx| {
        loop {
            if start && next < addrs.len() {
                running.push((next, Box::pin(attempt(addrs[next]))));
                next += 1;
                timer = match delay {
                    Some(delay) if next < addrs.len() => Some(Box::pin(sleep(delay))),
                    _ => None,
                };
            }
            start = false;
            let mut i = 0;
            while i < running.len() {
                match running[i].1.as_mut().poll(cx) {
                    Poll::Ready(Ok(won)) => return Poll::Ready(Ok(won)),
                    Poll::Ready(Err(error)) => {
                        let (index, _) = running.remove(i);
                        errors[index] = Some(error);
                        start = true;
                    }
                    Poll::Pending => i += 1,
                }
            }
            if let Some(t) = timer.as_mut()
                && t.as_mut().poll(cx).is_ready()
            {
                timer = None;
                start = true;
            }
            if start && next < addrs.len() {
                continue;
            }
            if running.is_empty() {
                let errors = std::mem::take(&mut errors).into_iter().flatten().collect();
                return Poll::Ready(Err(most_specific(errors)));
            }
            return Poll::Pending;
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_interleave_follows_happy_eyeballs() {
        assert_eq!(effective_interleave(None, false), 0);
        assert_eq!(effective_interleave(None, true), 1);
        assert_eq!(effective_interleave(Some(0), true), 0);
        assert_eq!(effective_interleave(Some(3), false), 3);
    }

    #[test]
    fn interleave_zero_keeps_resolver_order() {
        let addrs = vec![a("[::1]:1"), a("[::2]:1"), a("1.1.1.1:1")];
        assert_eq!(interleave(addrs.clone(), 0), addrs);
    }

    #[test]
    fn interleave_one_alternates_from_the_start() {
        let addrs = vec![
            a("[::1]:1"),
            a("[::2]:1"),
            a("[::3]:1"),
            a("1.1.1.1:1"),
            a("2.2.2.2:1"),
        ];
        assert_eq!(
            interleave(addrs, 1),
            vec![
                a("[::1]:1"),
                a("1.1.1.1:1"),
                a("[::2]:1"),
                a("2.2.2.2:1"),
                a("[::3]:1"),
            ]
        );
    }

    #[test]
    fn interleave_two_puts_one_extra_of_the_first_family_first() {
        // asyncio: first_address_family_count=2 -> [A1] + zip(A2.., B1..)
        let addrs = vec![
            a("1.1.1.1:1"),
            a("2.2.2.2:1"),
            a("3.3.3.3:1"),
            a("[::1]:1"),
            a("[::2]:1"),
        ];
        assert_eq!(
            interleave(addrs, 2),
            vec![
                a("1.1.1.1:1"),
                a("2.2.2.2:1"),
                a("[::1]:1"),
                a("3.3.3.3:1"),
                a("[::2]:1"),
            ]
        );
    }

    #[test]
    fn interleave_with_one_family_is_unchanged() {
        let addrs = vec![a("1.1.1.1:1"), a("2.2.2.2:1")];
        assert_eq!(interleave(addrs.clone(), 1), addrs);
        assert_eq!(interleave(addrs.clone(), 5), addrs);
    }

    #[test]
    fn one_error_is_reported_as_is() {
        let e = Error::HostUnreachable("x".into());
        assert_eq!(most_specific(vec![e.clone()]), e);
    }

    #[test]
    fn refused_wins_over_unreachable_and_timeout() {
        let got = most_specific(vec![
            Error::HostUnreachable("v6 unreachable".into()),
            Error::Timeout("slow".into()),
            Error::ConnectionRefused("v4 refused".into()),
        ]);
        assert_eq!(
            got,
            Error::ConnectionRefused(
                "Multiple exceptions: v6 unreachable, slow, v4 refused".into()
            )
        );
    }

    #[test]
    fn timeout_wins_over_unreachable_and_other() {
        let got = most_specific(vec![
            Error::Other("odd".into()),
            Error::HostUnreachable("u".into()),
            Error::Timeout("t".into()),
        ]);
        assert!(matches!(got, Error::Timeout(_)));
    }

    #[test]
    fn identical_messages_are_not_repeated() {
        let got = most_specific(vec![
            Error::ConnectionRefused("same".into()),
            Error::ConnectionRefused("same".into()),
        ]);
        assert_eq!(got, Error::ConnectionRefused("same".into()));
    }
}
