//! `portable-streams serve`: the push form of client_connected_cb, checked
//! from outside with real clients on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENTS: usize = 100;

struct Served {
    child: Child,
    port: u16,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Served {
    serve_on(0, extra)
}

/// `serve` of the poison handler on 127.0.0.1:`port` (0: any), once it
/// says it is serving.
fn serve_on(port: u16, extra: &[&str]) -> Served {
    let component = component_build::component("poison-handler");
    let mut child = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start portable-streams serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the Serving on line");
    let port = line
        .trim()
        .strip_prefix("Serving on 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Served {
        child,
        port,
        _stdout: stdout,
    }
}

/// `count` clients that connect and send nothing.
async fn idle_clients(port: u16, count: usize) -> Vec<TcpStream> {
    let mut idle = Vec::with_capacity(count);
    for _ in 0..count {
        idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    idle
}

/// A client's "real" line echoed within `secs` seconds, never reset.
async fn real_client_within(port: u16, secs: u64) -> String {
    tokio::time::timeout(Duration::from_secs(secs), exchange(port, "real\n"))
        .await
        .unwrap_or_else(|_| panic!("the real client waited {secs} s"))
        .expect("the real client was reset")
}

/// Sends `line` and returns the reply line ("" if the connection closed).
async fn exchange(port: u16, line: &str) -> std::io::Result<String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let mut stream = tokio::io::BufReader::new(stream);
    stream.get_mut().write_all(line.as_bytes()).await?;
    let mut reply = String::new();
    stream.read_line(&mut reply).await?;
    Ok(reply)
}

async fn many_clients(port: u16, poison_at: Option<usize>) -> Vec<(usize, String)> {
    let tasks = (0..CLIENTS).map(|i| async move {
        let line = if Some(i) == poison_at {
            "POISON\n".to_owned()
        } else {
            format!("hello from {i}\n")
        };
        let reply = tokio::time::timeout(Duration::from_secs(60), exchange(port, &line))
            .await
            .expect("client timed out")
            .unwrap_or_default();
        (i, reply)
    });
    futures::future::join_all(tasks).await
}

/// The instance counter and the echoed text of a reply.
fn parse(reply: &str) -> (u32, String) {
    let (n, text) = reply
        .split_once(' ')
        .unwrap_or_else(|| panic!("reply {reply:?} has no counter"));
    (n.parse().unwrap(), text.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_instance_per_connection_and_a_trap_touches_no_other() {
    let served = serve(&[]);
    let replies = many_clients(served.port, Some(37)).await;
    for (i, reply) in replies {
        if i == 37 {
            assert_eq!(reply, "", "the poisoned connection is closed");
            continue;
        }
        let (n, text) = parse(&reply);
        assert_eq!(n, 1, "each connection gets a fresh instance");
        assert_eq!(text, format!("hello from {i}\n"));
    }
    // Still serving after the trap.
    let (n, text) = parse(&exchange(served.port, "again\n").await.unwrap());
    assert_eq!((n, text.as_str()), (1, "again\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_instance_is_replaced_after_a_trap() {
    let served = serve(&["--shared-instance"]);
    let (n, _) = parse(&exchange(served.port, "first\n").await.unwrap());
    assert_eq!(n, 1);
    let poisoned = exchange(served.port, "POISON\n").await.unwrap_or_default();
    assert_eq!(poisoned, "");
    let replies = many_clients(served.port, None).await;
    let mut counters: Vec<u32> = replies
        .iter()
        .map(|(i, reply)| {
            let (n, text) = parse(reply);
            assert_eq!(text, format!("hello from {i}\n"));
            n
        })
        .collect();
    counters.sort_unstable();
    // One new instance served all of them, counting from 1 again.
    assert_eq!(counters, (1..=CLIENTS as u32).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_accepting_and_exits() {
    let mut served = serve(&[]);
    let (n, _) = parse(&exchange(served.port, "hi\n").await.unwrap());
    assert_eq!(n, 1);
    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_with_timeout(&mut served.child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    assert!(
        TcpStream::connect(("127.0.0.1", served.port))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component("poison-handler"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{err}"
    );
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "serve did not exit after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `serve` for an example component on `listen`; returns the child
/// and the address it printed.
fn serve_example(name: &str, listen: &str) -> (Child, String, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component(name))
        .args(["--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start portable-streams serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the Serving on line");
    let address = line
        .trim()
        .strip_prefix("Serving on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, address, stdout)
}

fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_with_timeout(child, Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_echo_handler_example_serves_tcp_clients() {
    let (mut child, address, _out) = serve_example("echo-handler", "127.0.0.1:0");
    let port: u16 = address
        .strip_prefix("127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("address {address}"));
    for i in 0..3 {
        let line = format!("line {i}\n");
        let reply = tokio::time::timeout(Duration::from_secs(30), exchange(port, &line))
            .await
            .expect("echo timed out")
            .unwrap();
        assert_eq!(reply, line);
    }
    assert_eq!(interrupt(&mut child).code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_echo_handler_example_serves_unix_clients_and_removes_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let listen = format!("unix:{}", path.display());
    let (mut child, address, _out) = serve_example("echo-handler", &listen);
    assert_eq!(address, listen);
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut stream = tokio::io::BufReader::new(stream);
    stream.get_mut().write_all(b"over unix\n").await.unwrap();
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_line(&mut reply))
        .await
        .expect("echo timed out")
        .unwrap();
    assert_eq!(reply, "over unix\n");
    drop(stream);
    assert_eq!(interrupt(&mut child).code(), Some(0));
    assert!(!path.exists(), "the socket file is removed on exit");
}

#[test]
fn a_regular_file_at_the_unix_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-socket");
    std::fs::write(&path, "keep me").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component("echo-handler"))
        .args(["--listen", &format!("unix:{}", path.display())])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("exists and is not a socket"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_server_makes_clients_wait_instead_of_resetting_them() {
    let served = serve(&["--max-instances", "2"]);
    let port = served.port;
    // Two idle clients take both instances.
    let idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _other_idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A third waits in the listen backlog: not reset, not served yet.
    let waiting = tokio::spawn(exchange(port, "hello\n"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "the third client was answered or reset: {:?}",
        waiting.await
    );
    // An instance frees: the waiting client is served.
    drop(idle);
    let reply = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once an instance freed")
        .unwrap()
        .expect("no reset");
    // The handler numbers the lines it echoes.
    assert_eq!(reply, "1 hello\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_past_its_deadline_loses_its_connection_only() {
    use tokio::io::AsyncReadExt;
    let served = serve(&["--deadline", "1"]);
    let port = served.port;
    let mut idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), idle.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "an idle connection outlived the 1 s deadline"
    );
    // The server goes on serving others.
    let reply = exchange(port, "still here\n").await.unwrap();
    assert_eq!(reply, "1 still here\n");
}

#[test]
fn a_deadline_with_a_shared_instance_is_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component("poison-handler"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--shared-instance",
            "--deadline",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("cannot be combined with --shared-instance"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_mode_holds_more_idle_clients_than_the_old_pool_and_serves_the_next() {
    // The old default pool (256 instances) reset every client past it.
    let served = serve(&[]);
    let port = served.port;
    let mut idle = idle_clients(port, 300).await;
    assert_eq!(real_client_within(port, 30).await, "1 real\n");
    // Every idle client is still served, none was reset.
    let mut idle = tokio::io::BufReader::new(idle.pop().unwrap());
    idle.get_mut().write_all(b"late\n").await.unwrap();
    let mut reply = String::new();
    idle.read_line(&mut reply).await.unwrap();
    assert_eq!(reply, "1 late\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_instance_holds_idle_clients_past_its_budget_and_serves_the_next() {
    // One store, one budget (32 MiB by default): 300 waiting readers would
    // use it up if each kept the 256 KiB it reserved for its receive, and
    // the next client's read would be refused.
    let served = serve(&["--shared-instance"]);
    let port = served.port;
    let _idle = idle_clients(port, 300).await;
    // The one instance numbers its clients: the idle ones came first.
    assert_eq!(real_client_within(port, 30).await, "301 real\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_idle_timeout_closes_silent_clients_only() {
    use tokio::io::AsyncReadExt;
    let served = serve(&["--idle-timeout", "1"]);
    let port = served.port;
    let mut silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // A client that speaks every 300 ms is never idle for 1 s.
    let talker = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    talker.set_nodelay(true).unwrap();
    let mut talker = tokio::io::BufReader::new(talker);
    for i in 1..=8 {
        talker
            .get_mut()
            .write_all(format!("line {i}\n").as_bytes())
            .await
            .unwrap();
        let mut reply = String::new();
        talker.read_line(&mut reply).await.unwrap();
        assert_eq!(reply, format!("1 line {i}\n"), "the talker was cut off");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // By now (2.4 s) the silent one was closed: EOF, not a reset.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut rest))
        .await
        .expect("the silent client outlived the idle timeout");
    assert_eq!(closed.expect("closed cleanly, not reset"), 0);
}

#[test]
fn a_malformed_idle_timeout_is_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component("poison-handler"))
        .args(["--listen", "127.0.0.1:0", "--idle-timeout", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("--idle-timeout takes a positive number"),
        "{text}"
    );
}

/// Sends one line on each of `count` new connections, one after another,
/// and returns the replies.
async fn sequential_clients(port: u16, count: usize) -> Vec<String> {
    let mut replies = Vec::new();
    for i in 0..count {
        let reply =
            tokio::time::timeout(Duration::from_secs(10), exchange(port, &format!("c{i}\n")))
                .await
                .expect("client timed out")
                .expect("client failed");
        replies.push(reply);
    }
    replies
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_share_one_port_with_reuse_port() {
    // Shared instances number every line they echo, so replies from two
    // processes show two counters.
    let first = serve(&["--shared-instance", "--reuse-port"]);
    let second = serve_on(first.port, &["--shared-instance", "--reuse-port"]);
    assert_eq!(second.port, first.port);
    let replies = sequential_clients(first.port, 40).await;
    let mut counters: Vec<u32> = replies.iter().map(|r| parse(r).0).collect();
    counters.sort_unstable();
    // One process would have counted 1..=40; two count less, twice over.
    assert!(
        *counters.last().unwrap() < 40,
        "one process served every client: {counters:?}"
    );
    assert_eq!(counters.iter().filter(|&&n| n == 1).count(), 2);
}

#[test]
fn a_taken_port_without_reuse_port_is_refused() {
    let first = serve(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_portable-streams"))
        .arg("serve")
        .arg(component_build::component("poison-handler"))
        .args(["--listen", &format!("127.0.0.1:{}", first.port)])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("address already in use"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_clients_beyond_the_instances_cannot_starve_a_real_one() {
    // Four silent clients against two instances: the idle timeout frees
    // instances, so the real client behind them is served, not reset.
    let served = serve(&["--max-instances", "2", "--idle-timeout", "1"]);
    let _idle = idle_clients(served.port, 4).await;
    assert_eq!(real_client_within(served.port, 20).await, "1 real\n");
}

/// wasmtime's default fiber stack size, which `serve` keeps: one such
/// mapping per pooled instance.
const FIBER_STACK: u64 = 2 << 20;

/// The resident KiB of each `FIBER_STACK`-sized anonymous mapping of
/// process `pid` (the pool's fiber stacks, and any thread stack of that
/// size).
fn stack_sized_mappings_resident_kib(pid: u32) -> Vec<u64> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("read smaps");
    let mut resident = Vec::new();
    let mut stack_sized = false;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if let Some((low, high)) = first.split_once('-')
            && let (Ok(low), Ok(high)) =
                (u64::from_str_radix(low, 16), u64::from_str_radix(high, 16))
        {
            // An anonymous mapping has no path after its five fields.
            stack_sized = high - low == FIBER_STACK && fields.nth(4).is_none();
        } else if stack_sized && first == "Rss:" {
            resident.push(fields.next().and_then(|kib| kib.parse().ok()).unwrap_or(0));
        }
    }
    resident
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_clients_fiber_stack_holds_few_pages() {
    // A host function's first poll runs on the calling instance's fiber
    // stack, so a large frame anywhere on a read's path stays resident
    // for every idle client: a 32 KiB buffer on the native read loop's
    // frame once made each one 40 KiB (10 pages) instead of 8 in a
    // release build. This checks the build it runs in: 20 KiB in a debug
    // build, where that buffer stayed in the TLS branch's own frame; the
    // release figures are `bench --serve`'s.
    const IDLE: usize = 64;
    const MOST_KIB: u64 = 32;
    let served = serve(&[]);
    let port = served.port;
    let _idle = idle_clients(port, IDLE).await;
    assert_eq!(real_client_within(port, 30).await, "1 real\n");
    let pid = served.child.id();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let resident = stack_sized_mappings_resident_kib(pid);
        let in_use = resident.iter().filter(|&&kib| kib > 0).count();
        let small = resident
            .iter()
            .filter(|&&kib| (1..=MOST_KIB).contains(&kib))
            .count();
        if small >= IDLE {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{IDLE} idle clients: {in_use} fiber stacks in use, only {small} of them at {MOST_KIB} \
             KiB or less; resident KiB of the in-use ones: {:?}",
            resident.iter().filter(|&&kib| kib > 0).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
