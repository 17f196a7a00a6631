use super::*;

#[test]
fn errors_keep_their_case() {
    assert!(matches!(
        wit::Error::from(Error::IncompleteRead { partial: "ab".into(), expected: Some(5) }),
        wit::Error::IncompleteRead(wit::IncompleteRead { ref partial, expected: Some(5) }) if partial == b"ab"
    ));
    assert!(matches!(
        wit::Error::from(Error::connection_lost()),
        wit::Error::ConnectionReset(m) if m == "Connection lost"
    ));
}
