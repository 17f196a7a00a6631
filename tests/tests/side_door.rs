//! No side door: a component that never imports portable:streams and opens
//! TCP sockets straight through `wasi:sockets` (0.3, or 0.2 through Rust's
//! `std::net`) is held to the same connection and listener caps, on both
//! backends, and gets its places back when it drops them.

use portable_streams_host::policy::Policy;
use portable_streams_host::run::Backend;
use portable_streams_tests::{args, assert_success, lines, peers, run};

const PROBE: &str = "raw-sockets";
/// The 0.2 probe: a `std::net` command.
const STD_PROBE: &str = "std-sockets";
const BOTH: [Backend; 2] = [Backend::Guest, Backend::Native];

/// A loopback listener that accepts and holds every connection until the
/// test ends.
async fn holding_listener() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_wasi_sockets_connections_are_held_to_the_connection_cap() {
    let port = holding_listener().await;
    for backend in BOTH {
        let policy = Policy::deny_all()
            .allow_connect(&format!("127.0.0.1:{port}"))
            .unwrap()
            .with_max_connections(10);
        let argv = args(&[PROBE, "connect", &port.to_string(), "30"]);
        let outcome = run(PROBE, backend, policy, &argv).await;
        assert_success(&format!("{PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            [
                "connected 10 of 30, then ErrorCode::AccessDenied",
                // The streams keep the OS sockets, and so their places.
                "sockets dropped, streams kept: connected 0 of 1, then ErrorCode::AccessDenied",
                "all dropped: connected 10 of 30, then ErrorCode::AccessDenied",
            ],
            "on {backend:?}"
        );
    }
}

/// A component that opens one connection at a time is never refused,
/// however few places the cap leaves, also when its loopback connects
/// complete at once and it never waits for anything else: a closed
/// socket's place is freed once its streams' results arrive, which takes
/// a turn of the store's event loop, and such a component would otherwise
/// never give it one (places piled up until the cap refused it: here, in
/// 3 of 3 runs after 3 to 13 connections; through the CLI, in about a
/// third of the runs of 2,000 connections under the default cap of 100).
#[tokio::test(flavor = "multi_thread")]
async fn raw_wasi_sockets_one_at_a_time_are_never_refused() {
    const ROUNDS: usize = 3;
    const CYCLES: usize = 2000;
    let peer = peers::close_at_once(BOTH.len() * ROUNDS * CYCLES).await;
    let port = peer.addr.port();
    for backend in BOTH {
        for round in 0..ROUNDS {
            let policy = Policy::deny_all()
                .allow_connect(&format!("127.0.0.1:{port}"))
                .unwrap()
                .with_max_connections(2);
            let argv = args(&[PROBE, "cycle", &port.to_string(), &CYCLES.to_string()]);
            let outcome = run(PROBE, backend, policy, &argv).await;
            assert_success(&format!("{PROBE} on {backend:?}"), &outcome);
            assert_eq!(
                lines(&outcome.stdout),
                [format!("cycled {CYCLES} of {CYCLES}, none refused")],
                "on {backend:?}, round {round}"
            );
        }
    }
    peer.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_wasi_sockets_listeners_are_held_to_the_listener_cap() {
    for backend in BOTH {
        let policy = Policy::deny_all()
            .allow_listen("127.0.0.1:*")
            .unwrap()
            .with_max_listeners(3);
        let argv = args(&[PROBE, "listen", "8"]);
        let outcome = run(PROBE, backend, policy, &argv).await;
        assert_success(&format!("{PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            [
                "listening on 3 of 8, then ErrorCode::AccessDenied",
                "all dropped: listening on 3 of 8, then ErrorCode::AccessDenied",
            ],
            "on {backend:?}"
        );
    }
}

/// A raw listener the component drops frees its port within moments, as
/// a closed socket does, although wasmtime-wasi's accept stream was
/// waiting for a client (the host wakes it with a connection of its own,
/// which counts under no cap), under caps of one listener and one
/// connection.
#[tokio::test(flavor = "multi_thread")]
async fn raw_wasi_sockets_listeners_free_their_port_when_dropped() {
    for backend in BOTH {
        let policy = Policy::deny_all()
            .allow_listen("127.0.0.1:*")
            .unwrap()
            .with_max_listeners(1)
            .with_max_connections(1);
        let argv = args(&[PROBE, "relisten", "20"]);
        let outcome = run(PROBE, backend, policy, &argv).await;
        assert_success(&format!("{PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            ["relistened 20 of 20, none failed"],
            "on {backend:?}"
        );
    }
}

/// A client the host accepted for a listener the component then dropped,
/// never handed over, gives its place back (under a cap of two: the
/// component's own client and one more).
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_pending_on_a_dropped_listener_frees_its_place() {
    for backend in BOTH {
        let policy = Policy::deny_all()
            .allow_listen("127.0.0.1:*")
            .unwrap()
            .allow_connect("127.0.0.1:*")
            .unwrap()
            .with_max_connections(2);
        let argv = args(&[PROBE, "abandon"]);
        let outcome = run(PROBE, backend, policy, &argv).await;
        assert_success(&format!("{PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            ["a place is free again"],
            "on {backend:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wasi_sockets_0_2_connections_and_listeners_are_held_to_the_caps() {
    let port = holding_listener().await;
    for backend in BOTH {
        let policy = Policy::deny_all()
            .allow_connect(&format!("127.0.0.1:{port}"))
            .unwrap()
            .allow_listen("127.0.0.1:*")
            .unwrap()
            .with_max_connections(10)
            .with_max_listeners(3);
        let argv = args(&[STD_PROBE, "connect", &port.to_string(), "30"]);
        let outcome = run(STD_PROBE, backend, policy.clone(), &argv).await;
        assert_success(&format!("{STD_PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            [
                "connected 10 of 30, then PermissionDenied",
                "all dropped: connected 10 of 30, then PermissionDenied",
            ],
            "on {backend:?}"
        );
        let argv = args(&[STD_PROBE, "listen", "8"]);
        let outcome = run(STD_PROBE, backend, policy.clone(), &argv).await;
        assert_success(&format!("{STD_PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            [
                "listening on 3 of 8, then PermissionDenied",
                "all dropped: listening on 3 of 8, then PermissionDenied",
            ],
            "on {backend:?}"
        );
        // A dropped 0.2 listener frees its port at once.
        let argv = args(&[STD_PROBE, "relisten", "20"]);
        let outcome = run(STD_PROBE, backend, policy, &argv).await;
        assert_success(&format!("{STD_PROBE} on {backend:?}"), &outcome);
        assert_eq!(
            lines(&outcome.stdout),
            ["relistened 20 of 20, none failed"],
            "on {backend:?}"
        );
    }
}
