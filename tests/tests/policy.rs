//! The sandbox policy as a component meets it: every denial is the typed
//! `access-denied` (never a trap), and an allowed target still works. TCP
//! rules hold on both backends (the guest through wasmtime-wasi's socket
//! checks, driven by the same allow-lists); Unix rules on the native one.

use std::path::Path;
use std::sync::Arc;

use portable_streams_host::limits::ComponentLimits;
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, run_component};
use portable_streams_tests::peers;
use portable_streams_tests::{assert_success, component, engine, run};

const CLIENT: &str = "scenario-client";
const BOTH: [Backend; 2] = [Backend::Guest, Backend::Native];

async fn scenario(backend: Backend, policy: Policy, name: &str, host: &str, port: u16) {
    let args: Vec<String> = [CLIENT, name, host, &port.to_string()]
        .map(String::from)
        .to_vec();
    let outcome = run(CLIENT, backend, policy, &args).await;
    assert_success(&format!("{name} {host} {port} on {backend:?}"), &outcome);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connect_outside_the_allow_list_is_denied() {
    for backend in BOTH {
        let policy = Policy::deny_all().allow_connect("127.0.0.2:1").unwrap();
        scenario(backend, policy, "expect-denied-connect", "127.0.0.1", 9).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listen_outside_the_allow_list_is_denied() {
    for backend in BOTH {
        let policy = Policy::deny_all().allow_listen("127.0.0.2:*").unwrap();
        scenario(backend, policy, "expect-denied-listen", "127.0.0.1", 0).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listen_rule_judges_the_port_bound_not_port_zero() {
    // Listening on port 0 binds an ephemeral port: a rule for port 0 does
    // not allow it, on either backend (the native one allowed it before,
    // judging the address asked for where wasmtime-wasi judges the guest's
    // by the address bound).
    for backend in BOTH {
        let policy = Policy::deny_all().allow_listen("127.0.0.1:0").unwrap();
        scenario(backend, policy, "expect-denied-listen", "127.0.0.1", 0).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_resolves_to_a_denied_address_is_denied() {
    for backend in BOTH {
        let policy = Policy::deny_all().allow_connect("10.0.0.0/8:*").unwrap();
        scenario(backend, policy, "expect-denied-connect", "localhost", 9).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ipv4_mapped_ipv6_cannot_bypass_an_ipv4_rule() {
    // Every IPv6 address is allowed, IPv4 only in 10/8: ::ffff:127.0.0.1 is
    // 127.0.0.1, so it is denied although a peer listens there.
    let peer = peers::echo().await;
    let policy = Policy::deny_all()
        .allow_connect("[::/0]:*")
        .unwrap()
        .allow_connect("10.0.0.0/8:*")
        .unwrap();
    scenario(
        Backend::Native,
        policy,
        "expect-denied-connect",
        "::ffff:127.0.0.1",
        peer.addr.port(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_target_still_works() {
    for backend in BOTH {
        let peer = peers::echo().await;
        let port = peer.addr.port();
        let policy = Policy::deny_all()
            .allow_connect(&format!("127.0.0.1:{port}"))
            .unwrap();
        scenario(backend, policy, "echo", "127.0.0.1", port).await;
        peer.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_and_reader_caps_are_enforced() {
    for backend in [Backend::Native, Backend::Guest] {
        let peer = peers::echo_connections(2).await;
        let policy = Policy::allow_all()
            .with_max_connections(1)
            .with_max_read_buffer(1024);
        scenario(backend, policy, "caps", "127.0.0.1", peer.addr.port()).await;
        peer.finish().await;
    }
}

/// Under a cap of one connection, a client (the SDK's) that opens the
/// next connection as soon as `wait_closed` returned is never refused, on
/// both backends. The guest's sockets count under the host's raw
/// `wasi:sockets` door, which frees a closed socket's place only once its
/// event loop has seen the socket's streams end: before the guest retried
/// a refused socket after a turn of that loop, its second connection was
/// refused (2 of 2 runs; native never was).
#[tokio::test(flavor = "multi_thread")]
async fn a_cap_of_one_serves_connections_one_at_a_time() {
    for backend in BOTH {
        let peer = peers::close_at_once(500).await;
        let policy = Policy::allow_all().with_max_connections(1);
        scenario(
            backend,
            policy,
            "one-at-a-time",
            "127.0.0.1",
            peer.addr.port(),
        )
        .await;
        peer.finish().await;
    }
}

/// What the memory-caps peer sends on request: more than the read cap.
static FLOOD: [u8; 10 * 1024] = [b'x'; 10 * 1024];
static FLOOD_SCRIPT: [&[u8]; 1] = [&FLOOD];

#[tokio::test(flavor = "multi_thread")]
async fn memory_is_bounded_by_the_read_and_write_caps() {
    for backend in [Backend::Native, Backend::Guest] {
        let peer = peers::on_request(&FLOOD_SCRIPT).await;
        let policy = Policy::allow_all()
            .with_max_read_buffer(1024)
            .with_max_write_buffer(4096);
        scenario(
            backend,
            policy,
            "memory-caps",
            "127.0.0.1",
            peer.addr.port(),
        )
        .await;
        peer.finish().await;
    }
}

/// Instantiating the scenario client under `limits` on `backend`: the
/// host's error, if it failed.
async fn instantiate_under(backend: Backend, limits: ComponentLimits) -> Option<String> {
    let component = tokio::task::block_in_place(|| component(CLIENT, backend));
    let config = RunConfig {
        backend,
        policy: Arc::new(Policy::deny_all().with_component_limits(limits)),
        args: vec![
            CLIENT.into(),
            "expect-denied-connect".into(),
            "127.0.0.1".into(),
            "9".into(),
        ],
        env: Vec::new(),
        output: Output::Capture,
    };
    run_component(engine(), &component, &config)
        .await
        .err()
        .map(|e| format!("{e:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_instance_and_table_caps_stop_instantiation() {
    for backend in BOTH {
        let roomy = instantiate_under(backend, ComponentLimits::UNTRUSTED).await;
        assert_eq!(roomy, None, "{backend:?} under the defaults");
        let instances = ComponentLimits {
            instances: 1,
            ..ComponentLimits::UNTRUSTED
        };
        let error = instantiate_under(backend, instances).await;
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("instance count too high")),
            "{backend:?} with one instance allowed: {error:?}"
        );
        let tables = ComponentLimits {
            tables: 0,
            ..ComponentLimits::UNTRUSTED
        };
        let error = instantiate_under(backend, tables).await;
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("table count too high")),
            "{backend:?} with no table allowed: {error:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listener_cap_is_enforced() {
    for backend in BOTH {
        let policy = Policy::allow_all().with_max_listeners(3);
        scenario(backend, policy, "listener-cap", "127.0.0.1", 0).await;
    }
}

/// A temp dir with `allowed/` (the policy's Unix root) and `outside/`.
fn unix_dirs() -> (tempfile::TempDir, Policy) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("allowed")).unwrap();
    std::fs::create_dir(dir.path().join("outside")).unwrap();
    let policy = Policy::deny_all()
        .allow_unix(dir.path().join("allowed"))
        .unwrap();
    (dir, policy)
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unix_path_escaping_its_root_with_dot_dot_is_denied() {
    let (dir, policy) = unix_dirs();
    let path = dir.path().join("allowed/../outside/x.sock");
    scenario(
        Backend::Native,
        policy,
        "expect-denied-unix",
        text(&path),
        0,
    )
    .await;
    assert!(!dir.path().join("outside/x.sock").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unix_path_escaping_its_root_through_a_symlink_is_denied() {
    let (dir, policy) = unix_dirs();
    std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("allowed/link"))
        .unwrap();
    let path = dir.path().join("allowed/link/x.sock");
    scenario(
        Backend::Native,
        policy,
        "expect-denied-unix",
        text(&path),
        0,
    )
    .await;
    assert!(!dir.path().join("outside/x.sock").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unix_server_replaces_a_stale_socket_and_removes_its_file_on_close() {
    let (dir, policy) = unix_dirs();
    let path = dir.path().join("allowed/echo.sock");
    // A socket file left behind by a listener that is gone.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    scenario(Backend::Native, policy, "unix-roundtrip", text(&path), 0).await;
    assert!(!path.exists(), "the socket file is removed on close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regular_file_at_a_unix_server_path_is_refused() {
    let (dir, policy) = unix_dirs();
    let path = dir.path().join("allowed/data");
    std::fs::write(&path, "keep me").unwrap();
    scenario(Backend::Native, policy, "unix-not-socket", text(&path), 0).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
}
