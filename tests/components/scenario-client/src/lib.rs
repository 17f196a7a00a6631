//! A test component: `scenario-client SCENARIO HOST PORT [PEM...]` runs one scenario
//! against portable:streams and exits 0 on success, 1 (with the reason on
//! stderr) on failure. The integration tests start the native peer each
//! scenario talks to.

use std::future::Future;
use std::pin::pin;

use futures::future::{Either, join, join_all, select};
use portable_streams::bindings::portable::streams::streams::{
    AddressFamily, ConnectOptions, Error, IncompleteRead, Reader, Server, ServerOptions,
    SocketAddress, UnixConnectOptions, UnixServerOptions, Writer, open_connection,
    open_unix_connection, start_server, start_unix_server,
};

mod budget;
mod drain;
mod idle;
mod memory_tls;
mod send_now;
mod stream;
mod tls;
mod transcript;
mod write_side;

use write_side::end_after;

type Outcome = Result<(), String>;

async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, scenario, host, port, pems @ ..] = &args[..] else {
        return Err("usage: scenario-client SCENARIO HOST PORT [PEM...]".into());
    };
    let port: u16 = port.parse().map_err(|_| format!("bad port {port}"))?;
    // Each file's scenarios, then this one's.
    let outcome = if let Some(outcome) = tls::run(scenario, host, port, pems).await {
        outcome
    } else if let Some(outcome) = memory_tls::run(scenario, host, port, pems).await {
        outcome
    } else if let Some(outcome) = stream::run(scenario, host, port).await {
        outcome
    } else if let Some(outcome) = send_now::run(scenario, host, port).await {
        outcome
    } else if let Some(outcome) = drain::run(scenario, host, port).await {
        outcome
    } else if let Some(outcome) = budget::run(scenario, host, port).await {
        outcome
    } else if let Some(outcome) = idle::run(scenario, host, port).await {
        outcome
    } else if let Some(outcome) = transcript::run(scenario, host, port, pems).await {
        outcome
    } else {
        run(scenario, host, port).await
    };
    outcome.map_err(|reason| format!("scenario {scenario} failed: {reason}"))?;
    println!("ok {scenario}");
    Ok(())
}

portable_streams::main!(main);

async fn run(scenario: &str, host: &str, port: u16) -> Outcome {
    match scenario {
        "echo" => echo(host, port).await,
        "bulk" => bulk(host, port, raw).await,
        "sdk-bulk" => bulk(host, port, Sdk::new).await,
        "split" => split(host, port, raw).await,
        "limit" => limit(host, port, raw).await,
        "eof-mid-line" => eof_mid_line(host, port, raw).await,
        "sdk-split" => split(host, port, Sdk::new).await,
        "sdk-limit" => limit(host, port, Sdk::new).await,
        "sdk-eof-mid-line" => eof_mid_line(host, port, Sdk::new).await,
        "sdk-cancel-readline" => cancel_readline(host, port, Sdk::new).await,
        "sdk-busy" => busy(host, port, Sdk::new).await,
        "reset" => reset(host, port).await,
        "drain-blocked" => drain_blocked(host, port).await,
        "drain-closed" => drain_closed(host, port).await,
        "reset-mid-write" => reset_mid_write(host, port).await,
        "write-eof" => write_eof(host, port).await,
        "refused" => refused(host, port).await,
        "unresolvable" => unresolvable().await,
        "cancel-readline" => cancel_readline(host, port, raw).await,
        "busy" => busy(host, port, raw).await,
        "server" => server(host).await,
        "close-clients" => close_clients(host).await,
        "start-serving" => start_serving(host).await,
        "options" => connect_options(host, port).await,
        "abort-clients" => abort_clients(host).await,
        "many-calls" => many_calls(host, port, 1_100_000).await,
        "ten-million-calls" => many_calls(host, port, 10_000_000).await,
        "server-options" => server_option_checks(host).await,
        "expect-denied-connect" => expect_denied_connect(host, port).await,
        "expect-denied-listen" => expect_denied_listen(host, port).await,
        "expect-denied-unix" => expect_denied_unix(host).await,
        "unix-roundtrip" => unix_roundtrip(host).await,
        "caps" => caps(host, port).await,
        "one-at-a-time" => one_at_a_time(host, port).await,
        "memory-caps" => memory_caps(host, port).await,
        "host-memory" => host_memory(host, port).await,
        "listener-cap" => listener_cap(host).await,
        "long-line" => long_line(host, port).await,
        "slowloris" => slowloris(host, port).await,
        "flood" => flood(host, port).await,
        "spin" => spin(),
        // `env NAME 0`: prints NAME's value from the environment.
        "env" => match std::env::var(host) {
            Ok(value) => {
                println!("{host}={value}");
                Ok(())
            }
            Err(_) => Err(format!("{host} is not set")),
        },
        // `exit CODE 0`: exits with CODE.
        "exit" => std::process::exit(host.parse().map_err(|_| "bad exit code")?),
        "wait-forever" => wait_forever().await,
        "allocate" => allocate(),
        "unix-not-socket" => unix_not_socket(host).await,
        "write-eof-after-close" => write_eof_after_close(host, port).await,
        "server-closed-errors" => server_closed_errors(host).await,
        "bind-in-use" => bind_in_use(host).await,
        "restart-after-close" => restart_after_close(host).await,
        "bind-skips-unavailable" => bind_skips_unavailable(host).await,
        "accept-before-wait-closed" => accept_before_wait_closed(host).await,
        "connect-as-linux-reaches" => connect_as_linux_reaches(port).await,
        "readexactly-huge" => readexactly_huge(host, port).await,
        "own-close-ends-reads" => own_close_ends_reads(host, port).await,
        "write-after-peer-eof" => write_after_peer_eof(host, port).await,
        "write-after-close" => write_after_close(host, port).await,
        "concurrent-drains" => concurrent_drains(host, port).await,
        "connect-timeout" => connect_timeout(host, port).await,
        "one-segment-overrun" => one_segment_overrun(host, port, raw).await,
        "sdk-one-segment-overrun" => one_segment_overrun(host, port, Sdk::new).await,
        other => Err(format!("unknown scenario {other}")),
    }
}

fn options(limit: Option<u32>) -> ConnectOptions {
    ConnectOptions {
        limit,
        family: AddressFamily::Unspecified,
        local_address: None,
        happy_eyeballs_delay: None,
        interleave: None,
        tls: None,
        connect_timeout: None,
    }
}

fn server_options(start_serving: Option<bool>) -> ServerOptions {
    ServerOptions {
        limit: None,
        family: AddressFamily::Unspecified,
        backlog: None,
        reuse_address: None,
        reuse_port: false,
        keep_alive: false,
        start_serving,
        tls: None,
    }
}

async fn connect(host: &str, port: u16) -> Result<(Reader, Writer), String> {
    open_connection(host.to_owned(), port, options(None))
        .await
        .map_err(|e| format!("connect: {e:?}"))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Outcome {
    if cond { Ok(()) } else { Err(what()) }
}

fn expect_bytes(what: &str, got: Result<Vec<u8>, Error>, want: &[u8]) -> Outcome {
    match got {
        Ok(v) if v == want => Ok(()),
        other => Err(format!(
            "{what}: expected {:?}, got {:?}",
            String::from_utf8_lossy(want),
            other.map(|v| String::from_utf8_lossy(&v).into_owned())
        )),
    }
}

/// `write(data)`, then `write_eof()`.
fn write_then_eof(writer: &Writer, data: &[u8]) -> Outcome {
    writer.write(data).map_err(|e| format!("write: {e:?}"))?;
    writer.write_eof().map_err(|e| format!("write_eof: {e:?}"))
}

/// `close()`, then a `wait_closed()` without an error.
/// `got` is asyncio's "Connection lost" (`connection-reset`).
fn connection_lost(what: &str, got: Result<(), Error>) -> Outcome {
    match got {
        Err(Error::ConnectionReset(m)) if m == "Connection lost" => Ok(()),
        other => Err(format!("{what}: {other:?}")),
    }
}

async fn close_cleanly(writer: &Writer) -> Outcome {
    writer.close();
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// Sleeps `ms` milliseconds on the WASI 0.3 monotonic clock.
async fn sleep_ms(ms: u64) {
    wasip3::clocks::monotonic_clock::wait_for(ms * 1_000_000).await;
}

/// Runs `fut` unless `ms` pass first; `None` on timeout (the future is
/// dropped, i.e. cancelled).
async fn within<T>(ms: u64, fut: impl Future<Output = T>) -> Option<T> {
    match select(pin!(fut), pin!(sleep_ms(ms))).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(_) => None,
    }
}

async fn echo(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    writer
        .write(b"hello world\n")
        .map_err(|e| format!("{e:?}"))?;
    writer.drain().await.map_err(|e| format!("drain: {e:?}"))?;
    expect_bytes("echo", reader.readline().await, b"hello world\n")?;
    writer.close();
    check(writer.is_closing(), || "is_closing after close".into())?;
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}

fn pattern(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(|i| (i % 251) as u8).collect()
}

/// 16 MiB echoed both ways, checked byte for byte (through the SDK
/// reader, its stream after the first 64 KiB).
async fn bulk<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    const TOTAL: usize = 16 << 20;
    const CHUNK: usize = 64 << 10;
    let (reader, writer) = connect(host, port).await?;
    let reader = side(reader);
    let send = async {
        for off in (0..TOTAL).step_by(CHUNK) {
            writer
                .write(&pattern(off, CHUNK))
                .map_err(|e| format!("{e:?}"))?;
            writer.drain().await.map_err(|e| format!("drain: {e:?}"))?;
        }
        writer.write_eof().map_err(|e| format!("write_eof: {e:?}"))
    };
    let receive = async {
        for off in (0..TOTAL).step_by(CHUNK) {
            let got = reader
                .readexactly(CHUNK as i64)
                .await
                .map_err(|e| format!("at {off}: {e:?}"))?;
            if got != pattern(off, CHUNK) {
                return Err(format!("corrupt data at offset {off}"));
            }
        }
        expect_bytes("EOF after bulk", reader.read(-1).await, b"")
    };
    let (s, r) = join(send, receive).await;
    s.and(r)?;
    check(reader.at_eof(), || "at_eof after bulk".into())
}

/// The peer sends `SPLIT_SCRIPT` cut at awkward points; every request must
/// see the same result whatever the cut.
async fn split<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let reader = side(reader);
    expect_bytes("readline", reader.readline().await, b"line one\n")?;
    expect_bytes(
        "readuntil crlfcrlf",
        reader.readuntil(vec![b"\r\n\r\n".to_vec()]).await,
        b"a: 1\r\nb: 2\r\n\r\n",
    )?;
    expect_bytes(
        "readuntil several",
        reader
            .readuntil(vec![b"END".to_vec(), b"||".to_vec()])
            .await,
        b"first||",
    )?;
    expect_bytes(
        "readuntil END",
        reader
            .readuntil(vec![b"END".to_vec(), b"||".to_vec()])
            .await,
        b"secondEND",
    )?;
    expect_bytes("readexactly", reader.readexactly(5).await, b"12345")?;
    expect_bytes("readline at EOF", reader.readline().await, b"tail")?;
    check(reader.at_eof(), || "at_eof at the end".into())?;
    expect_bytes("read at EOF", reader.read(10).await, b"")
}

async fn limit<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    let (reader, _writer) = open_connection(host.to_owned(), port, options(Some(16)))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let reader = side(reader);
    check(reader.limit() == 16, || "limit() is 16".into())?;
    // The peer sends: a line of exactly the limit, one a byte over, a short one.
    expect_bytes(
        "line at the limit",
        reader.readline().await,
        b"0123456789abcdef\n",
    )?;
    match reader.readline().await {
        Err(Error::LimitOverrun(o)) => {
            check(o.consumed == 17, || format!("consumed {}", o.consumed))?
        }
        other => return Err(format!("expected limit-overrun, got {other:?}")),
    }
    expect_bytes(
        "line after the overrun",
        reader.readline().await,
        b"short\n",
    )
}

async fn eof_mid_line<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    // Three connections; the peer sends "partial" on each and closes.
    let (r1, _w1) = connect(host, port).await?;
    let r1 = side(r1);
    expect_bytes("readline partial", r1.readline().await, b"partial")?;
    let (r2, _w2) = connect(host, port).await?;
    let r2 = side(r2);
    match r2.readuntil(vec![b"\n".to_vec()]).await {
        Err(Error::IncompleteRead(IncompleteRead {
            partial,
            expected: None,
        })) if partial == b"partial" => {}
        other => return Err(format!("readuntil at EOF: {other:?}")),
    }
    let (r3, _w3) = connect(host, port).await?;
    let r3 = side(r3);
    match r3.readexactly(100).await {
        Err(Error::IncompleteRead(IncompleteRead {
            partial,
            expected: Some(100),
        })) if partial == b"partial" => {}
        other => return Err(format!("readexactly at EOF: {other:?}")),
    }
    check(r3.at_eof(), || "at_eof after incomplete read".into())
}

async fn reset(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    match reader.readexactly(1 << 20).await {
        // The same words on every backend (the C library's, as the guest
        // maps `wasi:sockets` codes), with no context asyncio lacks.
        Err(Error::ConnectionReset(m)) if m == "connection reset by peer" => Ok(()),
        other => Err(format!(
            "expected a reset, got {:?}",
            other.map(|v| v.len())
        )),
    }
}

async fn drain_blocked(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    check(matches!(writer.try_drain(), Some(Ok(()))), || {
        "try-drain on a fresh connection answers ok at once".into()
    })?;
    check(writer.try_wait_closed().is_none(), || {
        "try-wait-closed answered on an open connection".into()
    })?;
    // The peer never reads: once the kernel buffers fill, ours grows.
    for i in 0..32 {
        writer
            .write(&pattern(i << 20, 1 << 20))
            .map_err(|e| format!("{e:?}"))?;
    }
    let (_low, high) = writer.get_write_buffer_limits();
    check(high == 64 << 10, || {
        format!("default high watermark {high}")
    })?;
    if within(300, writer.drain()).await.is_some() {
        return Err(format!(
            "drain returned while the peer reads nothing (buffered {})",
            writer.write_buffer_size()
        ));
    }
    check(writer.write_buffer_size() > high, || {
        "buffer above the high watermark".into()
    })?;
    check(writer.try_drain().is_none(), || {
        "try-drain answered while writing is paused".into()
    })?;
    writer.abort();
    // A drain that begins after the writer's own abort fails at once.
    match writer.try_drain() {
        Some(answer) => connection_lost("try-drain after abort", answer)?,
        None => return Err("try-drain after abort would wait".into()),
    }
    // The writer's own abort closed it without an error (asyncio's
    // `connection_lost(None)`).
    match writer.try_wait_closed() {
        Some(Ok(())) => Ok(()),
        other => Err(format!("try-wait-closed after abort: {other:?}")),
    }
}

/// asyncio: the writer's own `close` or `abort` ends a read that waits
/// (the transport's `connection_lost(None)` feeds EOF): a waiting
/// `readline` returns the partial line, the next read is EOF, and
/// `wait_closed` returns without an error.
async fn own_close_ends_reads(host: &str, port: u16) -> Outcome {
    for abort in [false, true] {
        let (reader, writer) = connect(host, port).await?;
        // The echo peer sends it back in one segment: a line without its
        // newline. Its first byte read, the rest is buffered, whenever the
        // close comes.
        writer.write(b"partial").map_err(|e| format!("{e:?}"))?;
        expect_bytes("the first byte", reader.readexactly(1).await, b"p")?;
        let (line, ()) = join(reader.readline(), end_after(&writer, 200, abort)).await;
        let how = if abort { "abort" } else { "close" };
        expect_bytes(&format!("readline across {how}"), line, b"artial")?;
        expect_bytes(&format!("read after {how}"), reader.read(100).await, b"")?;
        check(reader.at_eof(), || format!("at_eof after {how}"))?;
        writer
            .wait_closed()
            .await
            .map_err(|e| format!("wait_closed after {how}: {e:?}"))?;
    }
    Ok(())
}

/// asyncio keeps a connection open for writing after the peer's EOF
/// (`eof_received` returns true): reads give the line, then EOF, and a
/// write after it still reaches the peer, before the close.
async fn write_after_peer_eof(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    expect_bytes("the line", reader.readline().await, b"hello\n")?;
    expect_bytes("EOF", reader.read(100).await, b"")?;
    check(reader.at_eof(), || "at_eof after the peer's EOF".into())?;
    check(!writer.is_closing(), || {
        "closing after the peer's EOF".into()
    })?;
    writer
        .write(b"after eof\n")
        .map_err(|e| format!("write: {e:?}"))?;
    writer.drain().await.map_err(|e| format!("drain: {e:?}"))?;
    close_cleanly(&writer).await
}

/// asyncio's `write` after `close` returns and buffers nothing (the
/// transport counts it as lost), and `drain` then raises
/// `ConnectionResetError('Connection lost')`; `wait_closed` is clean.
async fn write_after_close(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    writer.close();
    check(writer.is_closing(), || "is_closing after close".into())?;
    writer
        .write(b"too late\n")
        .map_err(|e| format!("write after close: {e:?}"))?;
    writer
        .writelines(&[b"too".to_vec(), b"late".to_vec()])
        .map_err(|e| format!("writelines after close: {e:?}"))?;
    let size = writer.write_buffer_size();
    check(size == 0, || format!("{size} bytes buffered after close"))?;
    connection_lost("drain after close", writer.drain().await)?;
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// asyncio (3.10+) lets several tasks wait in `drain` at once: each waits
/// while the peer reads nothing and returns once the buffer is back at the
/// low watermark.
async fn concurrent_drains(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    for i in 0..2 {
        writer
            .write(&pattern(i << 20, 1 << 20))
            .map_err(|e| format!("{e:?}"))?;
    }
    let (low, _high) = writer.get_write_buffer_limits();
    let (first, second) = join(writer.drain(), writer.drain()).await;
    first.map_err(|e| format!("the first drain: {e:?}"))?;
    second.map_err(|e| format!("the second drain: {e:?}"))?;
    let size = writer.write_buffer_size();
    check(size <= low, || format!("{size} bytes buffered after drain"))?;
    close_cleanly(&writer).await
}

/// `connect_timeout` against a listener that never answers: `timeout`,
/// with the same words on both backends (core's).
async fn connect_timeout(host: &str, port: u16) -> Outcome {
    let options = ConnectOptions {
        connect_timeout: Some(300_000_000),
        ..options(None)
    };
    let said = format!("connecting to {host} port {port} took longer than 300 ms");
    match open_connection(host.to_owned(), port, options).await {
        Err(Error::Timeout(m)) if m == said => Ok(()),
        other => Err(format!("connect: {:?}", other.map(|_| ()))),
    }
}

async fn drain_closed(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    // The peer resets the connection 200 ms after accepting it.
    sleep_ms(500).await;
    for _ in 0..1000 {
        if writer.write(&[7; 64 << 10]).is_err() {
            return Ok(());
        }
        match within(5_000, writer.drain()).await {
            None => return Err("drain hung against a closed peer".into()),
            Some(Err(_)) => return Ok(()),
            Some(Ok(())) => {}
        }
    }
    Err("drain never reported the closed peer".into())
}

/// Writes 64 MiB with `drain` while the peer resets after 256 KiB: a write
/// or `drain` fails with `connection-reset` (or the write after the loss
/// with it), within a bound, never a hang or a panic.
async fn reset_mid_write(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    let chunk = vec![7u8; 64 << 10];
    for i in 0..1024 {
        let failed = match writer.write(&chunk) {
            Err(e) => Some(e),
            Ok(()) => match within(5_000, writer.drain()).await {
                None => return Err(format!("drain hung after {i} chunks")),
                Some(result) => result.err(),
            },
        };
        match failed {
            None => {}
            Some(Error::ConnectionReset(m))
                if m == "connection reset by peer" || m == "broken pipe" =>
            {
                return Ok(());
            }
            Some(other) => return Err(format!("after {i} chunks: {other:?}")),
        }
    }
    Err("64 MiB written to a peer that reset after 256 KiB".into())
}

async fn write_eof(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    check(writer.can_write_eof(), || "can_write_eof".into())?;
    write_then_eof(&writer, b"request body")?;
    match writer.write(b"more") {
        Err(Error::Closed(_)) => {}
        other => return Err(format!("write after write_eof: {other:?}")),
    }
    // The peer answers only after it saw EOF.
    expect_bytes("reply", reader.readline().await, b"got 12 bytes\n")?;
    expect_bytes("EOF", reader.read(-1).await, b"")
}

async fn refused(host: &str, port: u16) -> Outcome {
    let said = format!("Connect call failed ('{host}', {port}): connection refused");
    match open_connection(host.to_owned(), port, options(None)).await {
        Err(Error::ConnectionRefused(m)) if m == said => Ok(()),
        other => Err(format!(
            "expected connection-refused, got {:?}",
            other.map(|_| ())
        )),
    }
}

async fn unresolvable() -> Outcome {
    // The resolver's own words after the name, as on both backends (which
    // words depends on the resolver here: no DNS at all is a temporary
    // failure).
    let words = [
        "Name or service not known",
        "Temporary failure in name resolution",
        "No address associated with hostname",
    ];
    let said = |m: &str| {
        m.strip_prefix("no-such-host.invalid: ")
            .is_some_and(|rest| words.contains(&rest))
    };
    match open_connection("no-such-host.invalid".into(), 80, options(None)).await {
        Err(Error::NameUnresolvable(m)) if said(&m) => Ok(()),
        other => Err(format!(
            "expected name-unresolvable, got {:?}",
            other.map(|_| ())
        )),
    }
}

async fn cancel_readline<R: ReadSide>(
    host: &str,
    port: u16,
    side: impl Fn(Reader) -> R,
) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let reader = side(reader);
    // The peer sends "hel", waits, then "lo\n".
    if let Some(r) = within(100, reader.readline()).await {
        return Err(format!("readline should still wait, got {r:?}"));
    }
    expect_bytes(
        "readline after a cancelled one",
        reader.readline().await,
        b"hello\n",
    )
}

async fn busy<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let reader = side(reader);
    let (first, second) = join(reader.readline(), async {
        sleep_ms(20).await;
        reader.readline().await
    })
    .await;
    match second {
        Err(Error::Busy(_)) => {}
        other => return Err(format!("second waiter: expected busy, got {other:?}")),
    }
    expect_bytes("first waiter", first, b"hello\n")
}

fn port_of(server: &Server) -> Result<u16, String> {
    match server.sockets().first() {
        Some(SocketAddress::Ipv4(e)) => Ok(e.port),
        Some(SocketAddress::Ipv6(e)) => Ok(e.port),
        other => Err(format!("sockets(): {other:?}")),
    }
}

async fn listen(host: &str, start_serving: Option<bool>) -> Result<(Server, u16), String> {
    let server = start_server(vec![host.to_owned()], 0, server_options(start_serving))
        .await
        .map_err(|e| format!("start_server: {e:?}"))?;
    let port = port_of(&server)?;
    check(port != 0, || "port 0 was resolved".into())?;
    Ok((server, port))
}

async fn serve_echo(reader: Reader, writer: Writer) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        if writer.write(&line).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
}

async fn server(host: &str) -> Outcome {
    const CLIENTS: usize = 100;
    let (server, port) = listen(host, None).await?;
    check(server.is_serving(), || "is_serving".into())?;
    let accept_all = async {
        let mut handlers = Vec::new();
        for _ in 0..CLIENTS {
            let (r, w) = server
                .accept()
                .await
                .map_err(|e| format!("accept: {e:?}"))?;
            handlers.push(serve_echo(r, w));
        }
        join_all(handlers).await;
        Ok::<(), String>(())
    };
    let clients = join_all((0..CLIENTS).map(|i| async move {
        let (r, w) = connect(host, port).await?;
        let msg = format!("client {i} says {}\n", "x".repeat(i * 37));
        w.write(msg.as_bytes()).map_err(|e| format!("{e:?}"))?;
        w.drain().await.map_err(|e| format!("{e:?}"))?;
        expect_bytes(&format!("client {i}"), r.readline().await, msg.as_bytes())?;
        w.close();
        w.wait_closed()
            .await
            .map_err(|e| format!("wait_closed: {e:?}"))
    }));
    let (served, results) = join(accept_all, clients).await;
    served?;
    for r in results {
        r?;
    }
    server.close();
    check(!server.is_serving(), || "is_serving after close".into())?;
    within(5_000, server.wait_closed())
        .await
        .ok_or("wait_closed did not return")?;
    match server.accept().await {
        Err(Error::Closed(_)) => Ok(()),
        other => Err(format!("accept after close: {:?}", other.map(|_| ()))),
    }
}

async fn close_clients(host: &str) -> Outcome {
    let (server, port) = listen(host, None).await?;
    let (client, accepted) = join(connect(host, port), server.accept()).await;
    let (reader, _writer) = client?;
    let (_sr, _sw) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    server.close_clients();
    match within(5_000, reader.read(-1)).await {
        Some(Ok(rest)) if rest.is_empty() => {}
        Some(Err(Error::ConnectionReset(_))) => {}
        other => return Err(format!("client after close_clients: {other:?}")),
    }
    server.close();
    within(5_000, server.wait_closed())
        .await
        .ok_or_else(|| "wait_closed after close_clients".to_owned())
}

async fn start_serving(host: &str) -> Outcome {
    let (server, port) = listen(host, Some(false)).await?;
    check(!server.is_serving(), || {
        "not serving before start_serving".into()
    })?;
    let (reader, writer) = connect(host, port).await?;
    if within(300, server.accept()).await.is_some() {
        return Err("accept handed out a connection before start_serving".into());
    }
    server
        .start_serving()
        .map_err(|e| format!("start_serving: {e:?}"))?;
    check(server.is_serving(), || "serving after start_serving".into())?;
    let (sr, sw) = within(5_000, server.accept())
        .await
        .ok_or("accept after start_serving hung")?
        .map_err(|e| format!("accept: {e:?}"))?;
    writer.write(b"ping\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes("server side", sr.readline().await, b"ping\n")?;
    sw.write(b"pong\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes("client side", reader.readline().await, b"pong\n")?;
    server.close();
    Ok(())
}

/// Every connect option at once, extra info, and the writer's settings.
async fn connect_options(host: &str, port: u16) -> Outcome {
    let options = ConnectOptions {
        limit: Some(1000),
        family: AddressFamily::Ipv4,
        local_address: Some(("127.0.0.1".into(), 0)),
        happy_eyeballs_delay: Some(50_000_000),
        interleave: Some(1),
        tls: None,
        connect_timeout: Some(5_000_000_000),
    };
    let (reader, writer) = open_connection(host.to_owned(), port, options)
        .await
        .map_err(|e| format!("connect with options: {e:?}"))?;
    let info = writer.get_extra_info();
    match info.peername {
        Some(SocketAddress::Ipv4(e)) if e.host == host && e.port == port => {}
        other => return Err(format!("peername {other:?}")),
    }
    match info.sockname {
        Some(SocketAddress::Ipv4(e)) if e.host == "127.0.0.1" && e.port != 0 => {}
        other => return Err(format!("sockname {other:?}")),
    }
    check(reader.limit() == 1000, || "limit".into())?;
    match writer.set_write_buffer_limits(Some(10), Some(20)) {
        Err(Error::InvalidArgument(m)) if m == "high (10) must be >= low (20) must be >= 0" => {}
        other => return Err(format!("low above high: {other:?}")),
    }
    writer
        .set_write_buffer_limits(Some(1000), None)
        .map_err(|e| format!("{e:?}"))?;
    check(writer.get_write_buffer_limits() == (250, 1000), || {
        format!("limits {:?}", writer.get_write_buffer_limits())
    })?;
    writer
        .writelines(&[b"one ".to_vec(), b"two\n".to_vec()])
        .map_err(|e| format!("{e:?}"))?;
    expect_bytes("writelines echo", reader.readline().await, b"one two\n")?;
    check(!writer.is_closing(), || "open".into())?;
    writer.abort();
    check(writer.is_closing(), || "is_closing after abort".into())?;

    // A family the address does not have: an error, not a connection.
    let v6_only = ConnectOptions {
        family: AddressFamily::Ipv6,
        ..options_default()
    };
    if let Ok(_conn) = open_connection(host.to_owned(), port, v6_only).await {
        return Err("an IPv4 address was used with family=ipv6".into());
    }
    // limit = 0 is asyncio's ValueError.
    match open_connection(
        host.to_owned(),
        port,
        ConnectOptions {
            limit: Some(0),
            ..options_default()
        },
    )
    .await
    {
        Err(Error::InvalidArgument(m)) if m == "Limit cannot be <= 0" => Ok(()),
        other => Err(format!("limit 0: {:?}", other.map(|_| ()))),
    }
}

fn options_default() -> ConnectOptions {
    options(None)
}

async fn abort_clients(host: &str) -> Outcome {
    let (server, port) = listen(host, None).await?;
    let (client, accepted) = join(connect(host, port), server.accept()).await;
    let (reader, _writer) = client?;
    let (_sr, sw) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    // Buffered data is discarded by an abort. More is written than the
    // kernel's buffers can hold (the client does not read yet), so some of
    // it is still buffered when the abort comes.
    let big = vec![b'x'; 32 << 20];
    sw.write(&big).map_err(|e| format!("{e:?}"))?;
    server.abort_clients();
    check(sw.write_buffer_size() == 0, || {
        format!("abort left {} bytes buffered", sw.write_buffer_size())
    })?;
    match within(5_000, reader.read(-1)).await {
        Some(Ok(rest)) if rest.len() < big.len() => {}
        Some(Err(Error::ConnectionReset(_))) => {}
        other => {
            return Err(format!(
                "client after abort_clients: {:?}",
                other.map(|r| r.map(|v| v.len()))
            ));
        }
    }
    check(sw.is_closing(), || "the server side is closing".into())?;
    server.close();
    within(5_000, server.wait_closed())
        .await
        .ok_or_else(|| "wait_closed after abort_clients".to_owned())
}

/// 1.1 million async calls that return at once, on one connection.
async fn many_calls(host: &str, port: u16, calls: u32) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    for i in 0..calls {
        if let Err(e) = reader.read(0).await {
            return Err(format!("call {i}: {e:?}"));
        }
    }
    Ok(())
}

/// reuse-port lets two servers share a port, or is `unsupported` (on
/// wasi:sockets); keep-alive, backlog and
/// reuse-address are accepted; backlog=0 still queues a client; a taken
/// port is `address-in-use`.
async fn server_option_checks(host: &str) -> Outcome {
    let reuse_port = || {
        let mut options = server_options(None);
        options.reuse_port = true;
        options
    };
    match start_server(vec![host.to_owned()], 0, reuse_port()).await {
        // wasi:sockets has no SO_REUSEPORT: the guest says so.
        Err(Error::Unsupported(m)) if m.contains("reuse_port") => {}
        // Where it exists, a second server shares the port.
        Ok(first) => {
            let port = port_of(&first)?;
            start_server(vec![host.to_owned()], port, reuse_port())
                .await
                .map_err(|e| format!("second reuse_port server on {port}: {e:?}"))?;
        }
        Err(other) => return Err(format!("reuse_port: {other:?}")),
    }
    let mut options = server_options(None);
    options.keep_alive = true;
    options.backlog = Some(5);
    options.reuse_address = Some(true);
    let server = start_server(vec![host.to_owned()], 0, options)
        .await
        .map_err(|e| format!("keep-alive server: {e:?}"))?;
    let port = port_of(&server)?;
    let (client, accepted) = join(connect(host, port), server.accept()).await;
    let (reader, _w) = client?;
    let (_r, sw) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    sw.write(b"hi\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes("keep-alive connection", reader.readline().await, b"hi\n")?;
    // backlog=0 is taken as 1 on both backends (wasi:sockets refuses 0):
    // a client that connects before any accept waits in the kernel's queue.
    let mut options = server_options(None);
    options.backlog = Some(0);
    let tiny = start_server(vec![host.to_owned()], 0, options)
        .await
        .map_err(|e| format!("backlog=0 server: {e:?}"))?;
    let (early_reader, _early_writer) = connect(host, port_of(&tiny)?).await?;
    let (_r, tw) = tiny
        .accept()
        .await
        .map_err(|e| format!("backlog=0 accept: {e:?}"))?;
    tw.write(b"queued\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes(
        "backlog=0 client",
        early_reader.readline().await,
        b"queued\n",
    )?;
    match start_server(vec![host.to_owned()], port, server_options(None)).await {
        Err(Error::AddressInUse(_)) => Ok(()),
        other => Err(format!("second bind: {:?}", other.map(|_| ()))),
    }
}

/// The policy denies `host:port`: `access-denied`, never a trap.
async fn expect_denied_connect(host: &str, port: u16) -> Outcome {
    match open_connection(host.to_owned(), port, options(None)).await {
        Err(Error::AccessDenied(_)) => Ok(()),
        other => Err(format!(
            "connect to {host} port {port}: {:?}",
            other.map(|_| ())
        )),
    }
}

/// The policy denies listening on `host:port`.
async fn expect_denied_listen(host: &str, port: u16) -> Outcome {
    match start_server(vec![host.to_owned()], port, server_options(None)).await {
        Err(Error::AccessDenied(_)) => Ok(()),
        other => Err(format!(
            "listen on {host} port {port}: {:?}",
            other.map(|_| ())
        )),
    }
}

fn unix_connect_options() -> UnixConnectOptions {
    UnixConnectOptions {
        limit: None,
        tls: None,
        connect_timeout: None,
    }
}

fn unix_server_options() -> UnixServerOptions {
    UnixServerOptions {
        limit: None,
        backlog: None,
        start_serving: None,
        cleanup_socket: None,
        tls: None,
    }
}

/// The policy denies the Unix path both ways.
async fn expect_denied_unix(path: &str) -> Outcome {
    match open_unix_connection(path.to_owned(), unix_connect_options()).await {
        Err(Error::AccessDenied(_)) => {}
        other => return Err(format!("connect to {path}: {:?}", other.map(|_| ()))),
    }
    match start_unix_server(path.to_owned(), unix_server_options()).await {
        Err(Error::AccessDenied(_)) => Ok(()),
        other => Err(format!("listen on {path}: {:?}", other.map(|_| ()))),
    }
}

/// A Unix server at `path` (replacing a stale socket file), one echo
/// through it with both addresses as paths, then close and wait-closed.
async fn unix_roundtrip(path: &str) -> Outcome {
    let server = start_unix_server(path.to_owned(), unix_server_options())
        .await
        .map_err(|e| format!("start_unix_server: {e:?}"))?;
    match &server.sockets()[..] {
        [SocketAddress::Unix(p)] if p.ends_with(path.rsplit('/').next().unwrap_or(path)) => {}
        other => return Err(format!("sockets: {other:?}")),
    }
    let (client, accepted) = join(
        open_unix_connection(path.to_owned(), unix_connect_options()),
        server.accept(),
    )
    .await;
    let (reader, writer) = client.map_err(|e| format!("connect: {e:?}"))?;
    let (sr, sw) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    match writer.get_extra_info().peername {
        Some(SocketAddress::Unix(p)) if p.ends_with("sock") => {}
        other => return Err(format!("client peername: {other:?}")),
    }
    writer.write(b"over unix\n").map_err(|e| format!("{e:?}"))?;
    let line = sr.readline().await.map_err(|e| format!("{e:?}"))?;
    sw.write(&line).map_err(|e| format!("{e:?}"))?;
    expect_bytes("echo", reader.readline().await, b"over unix\n")?;
    writer.close();
    sw.close();
    server.close();
    within(5_000, server.wait_closed())
        .await
        .ok_or_else(|| "wait_closed".to_owned())
}

/// A regular file at the path is never replaced.
async fn unix_not_socket(path: &str) -> Outcome {
    match start_unix_server(path.to_owned(), unix_server_options()).await {
        Err(Error::AddressInUse(m)) if m.contains("not a socket") => Ok(()),
        other => Err(format!("start_unix_server: {:?}", other.map(|_| ()))),
    }
}

/// Under a policy of at most one open connection and reader limits of at
/// most 1 KiB: a second connection and a bigger limit are denied; once the
/// first connection is closed, another one opens.
async fn caps(host: &str, port: u16) -> Outcome {
    match open_connection(host.to_owned(), port, options(Some(4096))).await {
        Err(Error::AccessDenied(m)) if m.contains("1024") => {}
        other => return Err(format!("limit above the cap: {:?}", other.map(|_| ()))),
    }
    let (_r1, w1) = connect(host, port).await?;
    match open_connection(host.to_owned(), port, options(Some(1024))).await {
        Err(Error::AccessDenied(_)) => {}
        other => return Err(format!("second connection: {:?}", other.map(|_| ()))),
    }
    w1.close();
    within(5_000, w1.wait_closed())
        .await
        .ok_or_else(|| "wait_closed".to_owned())?
        .map_err(|e| format!("wait_closed: {e:?}"))?;
    let (reader, writer) = open_connection(host.to_owned(), port, options(Some(1024)))
        .await
        .map_err(|e| format!("connection after close: {e:?}"))?;
    writer.write(b"ping\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes("echo", reader.readline().await, b"ping\n")
}

/// How many connections `one-at-a-time` opens, one after the other.
const ONE_AT_A_TIME: usize = 500;

/// Under a cap of one connection, against a peer that closes each
/// connection at once: opens one through the SDK, closes it, waits for `wait_closed`,
/// drops it and opens the next at once, [`ONE_AT_A_TIME`] times. None is
/// refused: a connection `wait_closed` reported closed holds no place.
async fn one_at_a_time(host: &str, port: u16) -> Outcome {
    for i in 0..ONE_AT_A_TIME {
        let (reader, writer) = portable_streams::open_connection(host, port)
            .await
            .map_err(|e| format!("connection {i}: {e:?}"))?;
        writer.close();
        writer
            .wait_closed()
            .await
            .map_err(|e| format!("wait_closed {i}: {e:?}"))?;
        drop(reader);
    }
    Ok(())
}

/// Under a 1 KiB read cap (so 2 KiB held) and a 4 KiB write cap: calls
/// that would hold more are `access-denied` naming the cap, and nothing
/// received is lost. The peer sends 10 KiB when asked, and stays open.
async fn memory_caps(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    match reader.readexactly(1 << 30).await {
        Err(Error::AccessDenied(m)) if m.contains("2048 bytes") => {}
        other => return Err(format!("readexactly(2**30): {other:?}")),
    }
    match writer.write(&[0u8; 5000]) {
        Err(Error::AccessDenied(m)) if m.contains("4096 bytes") => {}
        other => return Err(format!("write above the cap: {other:?}")),
    }
    writer.write(b"go\n").map_err(|e| format!("write: {e:?}"))?;
    match within(5_000, reader.read(-1)).await {
        Some(Err(Error::AccessDenied(m))) if m.contains("2048 bytes") => {}
        other => return Err(format!("read(-1) past the cap: {other:?}")),
    }
    // What read(-1) had gathered is still there, and the rest follows.
    let mut got = 0;
    while got < 10 * 1024 {
        let chunk = reader
            .read(4096)
            .await
            .map_err(|e| format!("read after the cap: {e:?}"))?;
        check(
            !chunk.is_empty() && chunk.iter().all(|b| *b == b'x'),
            || format!("chunk after {got} bytes: {} bytes", chunk.len()),
        )?;
        got += chunk.len();
    }
    check(got == 10 * 1024, || format!("read {got} bytes"))
}

/// Every way a component could make the host buffer without bound, under
/// `--max-read-buffer 1 MiB`, `--max-write-buffer 1 MiB` and
/// `--max-connections 50`, against a peer that floods 1 GiB and reads
/// nothing: each is the typed error naming its cap (the test around it
/// measures the host's peak memory).
async fn host_memory(host: &str, port: u16) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    match reader.readexactly(1 << 30).await {
        Err(Error::AccessDenied(m)) if m.contains("2097152 bytes") => {}
        other => return Err(format!("readexactly(2**30): {other:?}")),
    }
    match reader.read(-1).await {
        Err(Error::AccessDenied(m)) if m.contains("2097152 bytes") => {}
        other => return Err(format!("read(-1) over the flood: {other:?}")),
    }
    let chunk = vec![b'y'; 64 * 1024];
    let mut written = 0usize;
    loop {
        match writer.write(&chunk) {
            Ok(()) => written += chunk.len(),
            Err(Error::AccessDenied(m)) if m.contains("1048576 bytes") => break,
            Err(other) => return Err(format!("write after {written} bytes: {other:?}")),
        }
        check(written < 1 << 30, || {
            "1 GiB written without drain: no write cap".into()
        })?;
    }
    let mut open = Vec::new();
    loop {
        match connect(host, port).await {
            Ok(pair) => open.push(pair),
            Err(m) if m.contains("AccessDenied") => break,
            Err(other) => return Err(format!("connection {}: {other}", open.len() + 2)),
        }
        check(open.len() < 1000, || {
            "1,000 connections: no connection cap".into()
        })?;
    }
    // The first connection held the cap's first slot.
    check(open.len() == 49, || {
        format!("{} connections under a cap of 50", open.len() + 1)
    })
}

/// A 10 MiB line against the 64 KiB limit: `readline` overruns (dropping
/// what it scanned each time, so the reader holds little), until the next
/// line comes through whole.
async fn long_line(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    let mut overruns = 0;
    let mut tails = 0;
    loop {
        match reader.readline().await {
            Err(Error::LimitOverrun(_)) => overruns += 1,
            Ok(line) if line == b"ok\n" => break,
            // The end of the long line may fit in the limit; when the last
            // overrun took every `x`, the tail is the newline alone.
            Ok(line)
                if line.ends_with(b"\n") && line[..line.len() - 1].iter().all(|b| *b == b'x') =>
            {
                tails += 1
            }
            other => return Err(format!("after {overruns} overruns: {other:?}")),
        }
        check(overruns < 1000 && tails < 2, || {
            format!("{overruns} overruns, {tails} tails")
        })?;
    }
    check(overruns > 0, || "the long line overran".into())
}

/// One byte every 100 ms: the line arrives whole, nothing is lost.
async fn slowloris(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    expect_bytes("the slow line", reader.readline().await, b"hello\n")?;
    expect_bytes("then EOF", reader.read(10).await, b"")
}

/// 16 MiB arrive while the component reads nothing for a second; then
/// every byte is there, in order.
async fn flood(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    sleep_ms(1_000).await;
    let mut got: u32 = 0;
    loop {
        let chunk = reader
            .read(256 * 1024)
            .await
            .map_err(|e| format!("read after {got} bytes: {e:?}"))?;
        if chunk.is_empty() {
            break;
        }
        for b in chunk {
            if b != (got % 251) as u8 {
                return Err(format!("byte {got} is {b}"));
            }
            got += 1;
        }
    }
    check(got == 16 << 20, || format!("{got} bytes"))
}

/// Never yields and never ends: only an epoch deadline stops it.
fn spin() -> Outcome {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// Waits and never ends: only a timer stops it.
async fn wait_forever() -> Outcome {
    loop {
        sleep_ms(60_000).await;
    }
}

/// Touches 256 MiB of linear memory: fails under a smaller memory cap.
fn allocate() -> Outcome {
    let mut big = vec![0u8; 256 << 20];
    for i in (0..big.len()).step_by(4096) {
        big[i] = 1;
    }
    check(std::hint::black_box(&big)[4096] == 1, || "touched".into())
}

/// The reading calls the reader scenarios make, so that the same scenario
/// runs against the raw binding and against the SDK's read-ahead reader.
trait ReadSide {
    async fn read(&self, n: i64) -> Result<Vec<u8>, Error>;
    async fn readline(&self) -> Result<Vec<u8>, Error>;
    async fn readexactly(&self, n: i64) -> Result<Vec<u8>, Error>;
    async fn readuntil(&self, separators: Vec<Vec<u8>>) -> Result<Vec<u8>, Error>;
    fn at_eof(&self) -> bool;
    fn limit(&self) -> u32;
}

/// The raw binding as it is.
fn raw(reader: Reader) -> Reader {
    reader
}

impl ReadSide for Reader {
    async fn read(&self, n: i64) -> Result<Vec<u8>, Error> {
        Reader::read(self, n).await
    }
    async fn readline(&self) -> Result<Vec<u8>, Error> {
        Reader::readline(self).await
    }
    async fn readexactly(&self, n: i64) -> Result<Vec<u8>, Error> {
        Reader::readexactly(self, n).await
    }
    async fn readuntil(&self, separators: Vec<Vec<u8>>) -> Result<Vec<u8>, Error> {
        Reader::readuntil(self, separators).await
    }
    fn at_eof(&self) -> bool {
        Reader::at_eof(self)
    }
    fn limit(&self) -> u32 {
        Reader::limit(self)
    }
}

/// The SDK's reader over the raw binding.
pub(crate) struct Sdk(pub(crate) portable_streams::Reader);

impl Sdk {
    fn new(reader: Reader) -> Self {
        Self(portable_streams::Reader::from_raw(reader))
    }
}

/// The SDK's error as the binding's, case for case.
fn to_wit(error: portable_streams::Error) -> Error {
    use portable_streams::Error as E;
    match error {
        E::IncompleteRead { partial, expected } => Error::IncompleteRead(IncompleteRead {
            partial: partial.to_vec(),
            expected,
        }),
        E::LimitOverrun { message, consumed } => Error::LimitOverrun(
            portable_streams::bindings::portable::streams::streams::LimitOverrun {
                message,
                consumed,
            },
        ),
        E::InvalidArgument(m) => Error::InvalidArgument(m),
        E::ConnectionRefused(m) => Error::ConnectionRefused(m),
        E::ConnectionReset(m) => Error::ConnectionReset(m),
        E::ConnectionAborted(m) => Error::ConnectionAborted(m),
        E::HostUnreachable(m) => Error::HostUnreachable(m),
        E::Timeout(m) => Error::Timeout(m),
        E::NameUnresolvable(m) => Error::NameUnresolvable(m),
        E::AddressInUse(m) => Error::AddressInUse(m),
        E::AddressNotAvailable(m) => Error::AddressNotAvailable(m),
        E::AccessDenied(m) => Error::AccessDenied(m),
        E::Closed(m) => Error::Closed(m),
        E::Busy(m) => Error::Busy(m),
        E::Unsupported(m) => Error::Unsupported(m),
        E::Tls(m) => Error::Tls(m),
        E::Other(m) => Error::Other(m),
    }
}

impl ReadSide for Sdk {
    async fn read(&self, n: i64) -> Result<Vec<u8>, Error> {
        let result = match usize::try_from(n) {
            Ok(n) => self.0.read(n).await,
            Err(_) => self.0.read_to_eof().await,
        };
        result.map_err(to_wit)
    }
    async fn readline(&self) -> Result<Vec<u8>, Error> {
        self.0.readline().await.map_err(to_wit)
    }
    async fn readexactly(&self, n: i64) -> Result<Vec<u8>, Error> {
        let n = usize::try_from(n).map_err(|_| Error::InvalidArgument("negative".into()))?;
        self.0.readexactly(n).await.map_err(to_wit)
    }
    async fn readuntil(&self, separators: Vec<Vec<u8>>) -> Result<Vec<u8>, Error> {
        let separators: Vec<&[u8]> = separators.iter().map(Vec::as_slice).collect();
        self.0.readuntil_any(&separators).await.map_err(to_wit)
    }
    fn at_eof(&self) -> bool {
        self.0.at_eof()
    }
    fn limit(&self) -> u32 {
        self.0.limit()
    }
}

// ---- one engine: where the two backends used to disagree ----

/// asyncio's `write_eof` after `close` does nothing (the transport is
/// closing); it is neither an error nor a half-close.
async fn write_eof_after_close(host: &str, port: u16) -> Outcome {
    let (_reader, writer) = connect(host, port).await?;
    writer
        .write(b"bye\n")
        .map_err(|e| format!("write: {e:?}"))?;
    writer.close();
    writer
        .write_eof()
        .map_err(|e| format!("write_eof after close: {e:?}"))?;
    check(writer.is_closing(), || "is_closing after close".into())?;
    within(5_000, writer.wait_closed())
        .await
        .ok_or("wait_closed hung")?
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// A closed server's `accept` and `start_serving` fail with one message.
/// Under a cap of 3 listening sockets: a 4th server is `access-denied`
/// naming the cap; closing one frees its place at once.
async fn listener_cap(host: &str) -> Outcome {
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(listen(host, None).await?.0);
    }
    match start_server(vec![host.to_owned()], 0, server_options(None)).await {
        Err(Error::AccessDenied(m)) if m.contains("at most 3 listening sockets") => {}
        other => return Err(format!("a 4th listener: {:?}", other.map(|_| ()))),
    }
    let first = servers.remove(0);
    first.close();
    first.wait_closed().await;
    listen(host, None).await.map(|_| ())
}

async fn server_closed_errors(host: &str) -> Outcome {
    let (server, _port) = listen(host, None).await?;
    server.close();
    let message = "the server is closed";
    match server.accept().await {
        Err(Error::Closed(m)) if m == message => {}
        other => return Err(format!("accept after close: {:?}", other.map(|_| ()))),
    }
    match server.start_serving() {
        Err(Error::Closed(m)) if m == message => Ok(()),
        other => Err(format!("start_serving after close: {other:?}")),
    }
}

/// A port a server listens on is `address-in-use` for a second server,
/// with asyncio's context and the C library's words, on both backends.
async fn bind_in_use(host: &str) -> Outcome {
    let (_server, port) = listen(host, None).await?;
    let said = format!(
        "error while attempting to bind on address ('{host}', {port}): address already in use"
    );
    match start_server(vec![host.to_owned()], port, server_options(None)).await {
        Err(Error::AddressInUse(m)) if m == said => Ok(()),
        other => Err(format!("a second bind: {:?}", other.map(|_| ()))),
    }
}

/// asyncio's `close()` closes the listening sockets: a server started on
/// the same port right after it (no `wait_closed`, no other await) binds
/// and serves, three times over.
async fn restart_after_close(host: &str) -> Outcome {
    let (mut server, port) = listen(host, None).await?;
    for round in 0..3 {
        server.close();
        server = start_server(vec![host.to_owned()], port, server_options(None))
            .await
            .map_err(|e| format!("restart {round} on port {port}: {e:?}"))?;
        // The kernel's backlog takes the client before any accept: a
        // refused connect fails here instead of leaving accept waiting.
        let (reader, _writer) = connect(host, port).await?;
        let (_r, sw) = server
            .accept()
            .await
            .map_err(|e| format!("accept {round}: {e:?}"))?;
        sw.write(b"restarted\n").map_err(|e| format!("{e:?}"))?;
        expect_bytes("restarted server", reader.readline().await, b"restarted\n")?;
    }
    server.close();
    server.wait_closed().await;
    Ok(())
}

/// asyncio binds each address on its own and skips one that is not
/// available here (EADDRNOTAVAIL, bpo-30945): 192.0.2.1 (TEST-NET-1) is
/// never a local address, so only `host` is bound, and it serves.
async fn bind_skips_unavailable(host: &str) -> Outcome {
    let hosts = vec!["192.0.2.1".to_owned(), host.to_owned()];
    let server = start_server(hosts, 0, server_options(None))
        .await
        .map_err(|e| format!("start_server: {e:?}"))?;
    let sockets = server.sockets();
    check(sockets.len() == 1, || format!("sockets(): {sockets:?}"))?;
    let port = port_of(&server)?;
    let (client, accepted) = join(connect(host, port), server.accept()).await;
    let (_r, w) = client?;
    let (sr, _sw) = accepted.map_err(|e| format!("accept: {e:?}"))?;
    w.write(b"hi\n").map_err(|e| format!("{e:?}"))?;
    expect_bytes("served", sr.readline().await, b"hi\n")?;
    let unavailable = start_server(vec!["192.0.2.1".to_owned()], 0, server_options(None)).await;
    match unavailable {
        Err(Error::AddressNotAvailable(m)) if m.starts_with("could not bind on any address") => {}
        other => return Err(format!("nothing bindable: {:?}", other.map(|_| ()))),
    }
    server.close();
    Ok(())
}

/// A pending `accept` has its `closed` result before `wait_closed`
/// returns (a Python component awaiting both must not be left waiting).
async fn accept_before_wait_closed(host: &str) -> Outcome {
    let (server, _port) = listen(host, None).await?;
    let accepted = std::cell::Cell::new(false);
    let accepting = async {
        let result = server.accept().await;
        accepted.set(true);
        result.map(|_| ())
    };
    let closing = async {
        sleep_ms(50).await;
        server.close();
        server.wait_closed().await;
        accepted.get()
    };
    match within(5_000, join(accepting, closing)).await {
        Some((Err(Error::Closed(_)), true)) => Ok(()),
        Some((result, before)) => Err(format!(
            "accept: {result:?}; accept finished before wait_closed: {before}"
        )),
        None => Err("accept or wait_closed hung".into()),
    }
}

/// The unspecified and IPv4-mapped addresses reach what Linux (and so
/// asyncio) reaches: the loopback listener.
async fn connect_as_linux_reaches(port: u16) -> Outcome {
    for host in ["0.0.0.0", "::ffff:127.0.0.1"] {
        let (reader, writer) = connect(host, port).await?;
        writer.write(b"via\n").map_err(|e| format!("{e:?}"))?;
        expect_bytes(
            &format!("echo via {host}"),
            reader.readline().await,
            b"via\n",
        )?;
        match writer.get_extra_info().peername {
            Some(SocketAddress::Ipv4(e)) if e.host == "127.0.0.1" => {}
            other => return Err(format!("peername via {host}: {other:?}")),
        }
        writer.close();
    }
    Ok(())
}

/// A size no component can hold is `invalid-argument` on every platform,
/// never a wrapped number and never a wait.
async fn readexactly_huge(host: &str, port: u16) -> Outcome {
    let (reader, _writer) = connect(host, port).await?;
    match within(5_000, reader.readexactly(1 << 40)).await {
        Some(Err(Error::InvalidArgument(m))) if m.contains("larger than a component can hold") => {}
        other => return Err(format!("readexactly(2**40): {other:?}")),
    }
    match reader.readexactly(-1).await {
        Err(Error::InvalidArgument(m)) if m == "readexactly size can not be less than zero" => {
            Ok(())
        }
        other => Err(format!("readexactly(-1): {other:?}")),
    }
}

/// An over-long line that arrives in one segment (limit 7): asyncio
/// receives it whole, so `readline` drops it with its separator (consumed
/// 20), and `readuntil` reports where the separator is (consumed 9).
async fn one_segment_overrun<R: ReadSide>(
    host: &str,
    port: u16,
    side: impl Fn(Reader) -> R,
) -> Outcome {
    let (reader, writer) = open_connection(host.to_owned(), port, options(Some(7)))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let reader = side(reader);
    // The peer sends each script below in one write once it sees "go".
    writer.write(b"go\n").map_err(|e| format!("{e:?}"))?;
    match reader.readline().await {
        Err(Error::LimitOverrun(o)) if o.consumed == 20 => {}
        other => return Err(format!("readline of a 20-byte line: {other:?}")),
    }
    expect_bytes("next line", reader.readline().await, b"ok\n")?;
    writer.write(b"go\n").map_err(|e| format!("{e:?}"))?;
    match reader.readuntil(vec![b"!".to_vec()]).await {
        Err(Error::LimitOverrun(o)) if o.consumed == 9 => {}
        other => return Err(format!("readuntil past the limit: {other:?}")),
    }
    // The data stays buffered: read it whole.
    expect_bytes(
        "left in the buffer",
        reader.readexactly(10).await,
        b"abcdefghi!",
    )
}
