//! The server's waiters, on loopback.

use std::sync::Arc;

use tokio::net::TcpStream;

use super::{Sandbox, Server, start_server};
use crate::native::{NativeCtx, wit};
use crate::policy::Policy;

fn options() -> wit::ServerOptions {
    wit::ServerOptions {
        limit: None,
        family: wit::AddressFamily::Unspecified,
        backlog: None,
        reuse_address: None,
        reuse_port: false,
        keep_alive: false,
        start_serving: None,
        tls: None,
    }
}

fn port(server: &Server) -> u16 {
    match &server.shared.sockets()[0] {
        wit::SocketAddress::Ipv4(endpoint) => endpoint.port,
        other => panic!("unexpected address {other:?}"),
    }
}

/// A server on a loopback port of its own, under a policy that allows all.
async fn listening(options: wit::ServerOptions) -> Server {
    let sandbox = Sandbox {
        allowance: NativeCtx::new(Arc::new(Policy::allow_all())).allowance(),
        listeners: Default::default(),
    };
    start_server(sandbox, vec!["127.0.0.1".into()], 0, options)
        .await
        .unwrap()
}

#[tokio::test]
async fn accepts_that_waited_leave_no_waker_behind() {
    let server = listening(options()).await;
    let port = port(&server);
    let mut kept = Vec::new();
    for _ in 0..50 {
        // The accept waits first, then the client comes: a waker is
        // registered every time, and no client closes to clear them.
        let accept = tokio::spawn({
            let shared = server.shared.clone();
            async move { shared.accept().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        kept.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        accept.await.unwrap().unwrap();
    }
    assert_eq!(server.shared.shell.changed().waiting(), 0);
}

/// A TLS server's options with a throwaway self-signed certificate.
fn tls_options() -> wit::ServerOptions {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    wit::ServerOptions {
        tls: Some(wit::ServerTlsOptions {
            certificate_chain: certified.cert.pem(),
            private_key: certified.signing_key.serialize_pem(),
            handshake_timeout: None,
            shutdown_timeout: None,
            alpn_protocols: Vec::new(),
        }),
        ..options()
    }
}

#[tokio::test]
async fn a_dropped_server_stops_listening_with_a_handshake_under_way() {
    let server = listening(tls_options()).await;
    let port = port(&server);
    // A client that never sends its ClientHello: its handshake runs until
    // the 60 s handshake timeout unless the server's end stops it.
    let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let accept = tokio::spawn({
        let shared = server.shared.clone();
        async move { shared.accept().await.map(|_| ()) }
    });
    // The accept takes the client off the listener and starts its
    // handshake (then waits for it).
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!accept.is_finished());
    accept.abort();
    let _ = accept.await;
    let shared = Arc::downgrade(&server.shared);
    drop(server);
    let refused = TcpStream::connect(("127.0.0.1", port)).await;
    assert!(refused.is_err(), "still listening after the drop");
    // The handshake ended with the server: nothing holds its state.
    for _ in 0..100 {
        if shared.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the handshake task outlived the dropped server");
}

/// Out of file descriptors, `accept` neither fails nor spins: the listener
/// rests for asyncio's `ACCEPT_RETRY_DELAY`, then takes the client once a
/// descriptor is free (a serving loop that stopped at the first failed
/// accept would never serve again). Runs its half below in a process of
/// its own: it lowers the process's file limit.
#[test]
fn out_of_file_descriptors_accept_rests_and_goes_on() {
    let child = "native::server::tests::out_of_file_descriptors_in_this_process";
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child,
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(OWN_PROCESS, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(RESTED),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Set for the half that runs in a process of its own.
const OWN_PROCESS: &str = "PORTABLE_STREAMS_TEST_OWN_PROCESS";
/// What that half prints once it has seen the rest and the accept after.
const RESTED: &str = "accept rested, then accepted";

#[test]
#[ignore = "lowers the process's file limit: run by out_of_file_descriptors_accept_rests_and_goes_on"]
fn out_of_file_descriptors_in_this_process() {
    use std::time::{Duration, Instant};

    // Among other tests (`--include-ignored`) it would starve them.
    if std::env::var_os(OWN_PROCESS).is_none() {
        eprintln!("skipped: runs only in a process of its own");
        return;
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = listening(options()).await;
        let port = port(&server);
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        // Room for exactly one more descriptor: the lowest free number is
        // the next one given, and the limit bounds the numbers.
        let lowest_free = {
            use std::os::fd::AsRawFd;
            std::fs::File::open("/dev/null").unwrap().as_raw_fd()
        };
        let limit = u64::try_from(lowest_free).unwrap() + 1;
        let mut rlimit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain libc calls on a valid struct.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlimit), 0);
            rlimit.rlim_cur = limit;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit), 0);
        }
        let first = tokio::time::timeout(Duration::from_secs(5), server.shared.accept())
            .await
            .expect("the first client is accepted")
            .expect("with a descriptor free");
        let started = Instant::now();
        let mut second = std::pin::pin!(server.shared.accept());
        let early = tokio::time::timeout(Duration::from_millis(300), &mut second).await;
        let early = early.map(|accepted| accepted.map(|_| ()));
        assert!(
            early.is_err(),
            "out of descriptors, accept waits: {early:?}"
        );
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("accepts again after the rest")
            .expect("no error reaches accept");
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "the listener rested: {:?}",
            started.elapsed()
        );
        drop((second, clients));
        println!("{RESTED}");
    });
}
