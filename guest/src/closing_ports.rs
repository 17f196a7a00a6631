//! Ports this component's closed servers may still hold for a moment.
//!
//! asyncio's `Server.close()` closes the listening sockets at once. Here a
//! listener closes once its acceptor task has dropped the socket and the
//! host has ended the accept stream (it wakes the accept that stream had
//! pending), a few turns of the loop after `close()`: a server started on
//! the same port in between would find it `address-in-use`. So such a bind
//! is tried again, waiting a little longer each time, for up to about two
//! seconds; a port something else holds fails after that as it would
//! have at once.

use std::cell::RefCell;
use std::collections::HashSet;

use portable_streams_core::Error;
use wasip3::clocks::monotonic_clock::wait_for;

thread_local! {
    /// Ports of servers closed since the last bind on them (each port once,
    /// so a component that closes many servers holds at most 64 Ki).
    static CLOSING: RefCell<HashSet<u16>> = RefCell::new(HashSet::new());
}

/// The first wait before a bind is tried again, in nanoseconds; each next
/// one is twice as long.
const FIRST_WAIT_NS: u64 = 1_000_000;

/// How many times a bind is tried again.
const RETRIES: u32 = 11;

/// Notes that a server on `ports` was closed.
pub(crate) fn closed(ports: impl IntoIterator<Item = u16>) {
    CLOSING.with_borrow_mut(|closing| closing.extend(ports));
}

/// `bind()`'s result; while it is `address-in-use` and one of `ports` was
/// closed here, `bind` is tried again after a wait.
pub(crate) async fn bind_after_close<L>(
    ports: &[u16],
    mut bind: impl FnMut() -> Result<L, Error>,
) -> Result<L, Error> {
    let mut wait = FIRST_WAIT_NS;
    let mut retries = 0;
    let result = loop {
        match bind() {
            Err(Error::AddressInUse(_)) if retries < RETRIES && was_closed(ports) => {
                retries += 1;
                wait_for(wait).await;
                wait *= 2;
            }
            result => break result,
        }
    };
    CLOSING.with_borrow_mut(|closing| {
        for port in ports {
            closing.remove(port);
        }
    });
    result
}

fn was_closed(ports: &[u16]) -> bool {
    CLOSING.with_borrow(|closing| ports.iter().any(|port| closing.contains(port)))
}
