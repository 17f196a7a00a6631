//! `serve` beside a hostile handler: an instance that opens raw
//! `wasi:sockets` connections until it is refused is held to its own cap
//! and to the process's cap across instances, which keeps the rest of the
//! open files for clients, so a well-behaved client is still served; the
//! log stays a few lines long.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::{TcpListener, TcpStream};

/// The open-file limit `serve` runs under: small, so the test is quick.
const FILES: u64 = 256;
/// Instances served at once (one client file each).
const INSTANCES: u64 = 16;
/// The files kept by the process for itself (`system::FILES_KEPT`).
const KEPT: u64 = 64;
/// The per-instance connection cap (the CLI's default).
const PER_INSTANCE: usize = 100;

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

/// `serve` of the hostile handler under an open-file limit of [`FILES`],
/// its log written to `log`.
fn serve_hostile(log: &std::path::Path) -> Served {
    let component = component_build::component("hostile-handler");
    let mut command = Command::new(env!("CARGO_BIN_EXE_portable-streams"));
    command
        .arg("serve")
        .arg(component)
        .args(["--listen", "127.0.0.1:0", "--allow-connect", "127.0.0.1:*"])
        .args(["--max-instances", &INSTANCES.to_string()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between
    // fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FILES,
                rlim_max: FILES,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("start portable-streams serve");
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

/// A peer that accepts every connection and holds it, reading nothing.
async fn sink() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

/// Sends `line` on a new connection and reads the answer, within 10 s;
/// the connection is kept open (its handler holds what it opened).
async fn ask(port: u16, line: &str) -> (AsyncBufReader<TcpStream>, String) {
    let exchange = async {
        let mut stream = AsyncBufReader::new(TcpStream::connect(("127.0.0.1", port)).await?);
        stream.get_mut().write_all(line.as_bytes()).await?;
        let mut answer = String::new();
        stream.read_line(&mut answer).await?;
        std::io::Result::Ok((stream, answer))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer to {line:?} within 10 s"))
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// How many connections a hog answer says it held, checking it was
/// stopped by `access-denied`.
fn held(answer: &str) -> usize {
    let (count, refusal) = answer
        .trim()
        .strip_prefix("held ")
        .and_then(|rest| rest.split_once(", then "))
        .unwrap_or_else(|| panic!("unexpected answer {answer:?}"));
    assert_eq!(refusal, "ErrorCode::AccessDenied", "{answer:?}");
    count.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_handler_cannot_take_the_descriptors_serve_needs_for_clients() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let served = serve_hostile(&log);
    let sink = sink().await;
    let hog = format!("hog {sink}\n");

    // Three hostile instances: the first is stopped by its own cap, the
    // others by the cap across instances, which keeps the clients' files.
    let across = (FILES - KEPT - INSTANCES) as usize;
    let mut hogs = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..3 {
        let (stream, answer) = ask(served.port, &hog).await;
        counts.push(held(&answer));
        hogs.push(stream);
    }
    assert_eq!(counts[0], PER_INSTANCE, "{counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), across, "{counts:?}");

    // Well-behaved clients are still accepted and served, side by side.
    for i in 0..INSTANCES as usize - hogs.len() {
        let line = format!("hello {i}\n");
        let (_, answer) = ask(served.port, &line).await;
        assert_eq!(answer, line);
    }

    // Once the hostile clients hang up, their instances' places are free.
    drop(hogs);
    let mut again = 0;
    for _ in 0..50 {
        let (_stream, answer) = ask(served.port, &hog).await;
        again = held(&answer);
        if again == PER_INSTANCE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(again, PER_INSTANCE, "places freed when the hogs hung up");

    drop(served);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.lines().count() < 40 && !log.contains("Too many open files"),
        "the log:\n{log}"
    );
}
