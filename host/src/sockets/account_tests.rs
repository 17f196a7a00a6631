use super::{RAW_SOCKET_BYTES, SocketAccount};
use crate::policy::Policy;

/// Under `policy`, which leaves room for four raw connections: the first
/// leaves places plentiful, the second makes them scarce, and dropping
/// both makes them plentiful again.
fn scarce_from_the_second_of_four(policy: &Policy) {
    let account = SocketAccount::new(policy);
    assert!(!account.places_scarce());
    let first = account.connection_place().unwrap();
    assert!(!account.places_scarce());
    let second = account.connection_place().unwrap();
    assert!(account.places_scarce());
    drop((first, second));
    assert!(!account.places_scarce());
}

#[test]
fn places_are_scarce_once_half_the_connection_cap_is_taken() {
    scarce_from_the_second_of_four(&Policy::allow_all().with_max_connections(4));
}

#[test]
fn places_are_scarce_once_half_the_byte_budget_is_taken() {
    scarce_from_the_second_of_four(&Policy::allow_all().with_max_buffered(4 * RAW_SOCKET_BYTES));
}

#[test]
fn without_caps_places_are_never_scarce() {
    let account = SocketAccount::new(&Policy::allow_all());
    let held: Vec<_> = (0..1000)
        .map(|_| account.connection_place().unwrap())
        .collect();
    assert!(!account.places_scarce());
    drop(held);
}

#[test]
fn a_wake_is_admitted_once_from_its_own_address_and_takes_no_place() {
    let account = SocketAccount::new(&Policy::allow_all().with_max_connections(1));
    let from = "127.0.0.1:40000".parse().unwrap();
    let other = "127.0.0.1:40001".parse().unwrap();
    assert!(!account.admit_wake(from), "not expected yet");
    account.expect_wake(from);
    assert!(!account.admit_wake(other));
    assert!(account.admit_wake(from));
    assert!(!account.admit_wake(from), "admitted twice");
    assert_eq!(account.connections().get(), 0);
    assert!(account.take_admitted().is_none(), "a wake took a place");
    assert!(!account.take_woken(other));
    assert!(account.take_woken(from));
    assert!(!account.take_woken(from), "discarded twice");
    account.expect_wake(from);
    account.forget_wake(from);
    assert!(!account.admit_wake(from), "forgotten");
    // Once admitted, only its discard forgets it.
    account.expect_wake(from);
    assert!(account.admit_wake(from));
    account.forget_wake(from);
    assert!(account.take_woken(from));
}
