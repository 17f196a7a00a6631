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

#[test]
fn accept_failures_as_asyncio_tells_them() {
    use portable_streams_core::server::AcceptFailure;
    for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
        let error = std::io::Error::from_raw_os_error(errno);
        assert_eq!(accept_failure(&error), AcceptFailure::OutOfResources);
    }
    let aborted = std::io::Error::from_raw_os_error(libc::ECONNABORTED);
    assert_eq!(accept_failure(&aborted), AcceptFailure::Gone);
    let denied = std::io::Error::from_raw_os_error(libc::EPERM);
    assert_eq!(accept_failure(&denied), AcceptFailure::Other);
}
