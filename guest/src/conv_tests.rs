use super::*;
use bytes::Bytes;
use portable_streams_core::connect::py_addr;

#[test]
fn core_errors_map_case_for_case() {
    let wit = wit::Error::from(Error::IncompleteRead {
        partial: Bytes::from_static(b"ab"),
        expected: Some(5),
    });
    assert!(matches!(
        wit,
        wit::Error::IncompleteRead(wit::IncompleteRead { ref partial, expected: Some(5) })
            if partial == b"ab"
    ));
    assert!(matches!(
        wit::Error::from(Error::connection_lost()),
        wit::Error::ConnectionReset(m) if m == "Connection lost"
    ));
}

#[test]
fn every_error_case_survives_the_round_trip() {
    let cases = [
        Error::IncompleteRead {
            partial: Bytes::from_static(b"ab"),
            expected: None,
        },
        Error::LimitOverrun {
            message: "over".into(),
            consumed: 7,
        },
        Error::InvalidArgument("a".into()),
        Error::ConnectionRefused("b".into()),
        Error::ConnectionReset("c".into()),
        Error::ConnectionAborted("d".into()),
        Error::HostUnreachable("e".into()),
        Error::Timeout("f".into()),
        Error::NameUnresolvable("g".into()),
        Error::AddressInUse("h".into()),
        Error::AddressNotAvailable("i".into()),
        Error::AccessDenied("j".into()),
        Error::Closed("k".into()),
        Error::Busy("l".into()),
        Error::Unsupported("m".into()),
        Error::Tls("n".into()),
        Error::Other("o".into()),
    ];
    for case in cases {
        assert_eq!(Error::from(wit::Error::from(case.clone())), case);
    }
}

#[test]
fn socket_errors_keep_their_meaning() {
    assert_eq!(
        socket_error(ErrorCode::ConnectionRefused).context("Connect call failed ('127.0.0.1', 1)"),
        Error::ConnectionRefused("Connect call failed ('127.0.0.1', 1): connection refused".into())
    );
    assert!(matches!(
        socket_error(ErrorCode::RemoteUnreachable),
        Error::HostUnreachable(_)
    ));
    assert!(matches!(
        socket_error(ErrorCode::ConnectionBroken),
        Error::ConnectionReset(_)
    ));
    assert!(matches!(
        socket_error(ErrorCode::AddressNotBindable),
        Error::AddressNotAvailable(_)
    ));
    assert_eq!(
        socket_error(ErrorCode::Other(Some("weird".into()))),
        Error::Other("weird".into())
    );
    assert_eq!(
        socket_error(ErrorCode::AccessDenied),
        Error::AccessDenied("permission denied".into())
    );
    assert_eq!(
        socket_error(ErrorCode::InvalidArgument),
        Error::InvalidArgument("invalid argument".into())
    );
    assert!(matches!(
        socket_error(ErrorCode::NotSupported),
        Error::Unsupported(_)
    ));
    assert!(matches!(
        socket_error(ErrorCode::Timeout),
        Error::Timeout(_)
    ));
    assert!(matches!(
        socket_error(ErrorCode::OutOfMemory),
        Error::Other(_)
    ));
}

#[test]
fn lookup_errors_are_gaierror_except_denial() {
    assert!(matches!(
        lookup_error(&LookupError::NameUnresolvable, "x.invalid"),
        Error::NameUnresolvable(m) if m.starts_with("x.invalid")
    ));
    assert!(matches!(
        lookup_error(&LookupError::AccessDenied, "h"),
        Error::AccessDenied(_)
    ));
}

#[test]
fn addresses_round_trip() {
    for text in ["127.0.0.1:8080", "[::1]:443", "[fe80::1%3]:1"] {
        let addr: SocketAddr = text.parse().unwrap();
        assert_eq!(addr_from_wasi(addr_to_wasi(addr)), addr);
    }
    let v6: SocketAddr = "[::1]:80".parse().unwrap();
    assert_eq!(py_addr(&v6), "('::1', 80, 0, 0)");
    assert!(matches!(
        wit::SocketAddress::from(v6),
        wit::SocketAddress::Ipv6(e) if e.host == "::1" && e.port == 80
    ));
    assert_eq!(
        ip_from_wasi(IpAddress::Ipv6((0, 0, 0, 0, 0, 0, 0, 1))),
        "::1".parse::<IpAddr>().unwrap()
    );
}
