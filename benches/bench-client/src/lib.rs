//! `bench-client WORKLOAD HOST PORT COUNT [CA_PEM]`: runs one benchmark
//! workload against a native peer and prints `elapsed_ns=N` (plus per-op
//! latencies for ping-pong as `latencies_ns=a,b,...` summary lines).
//! `tls-bulk` and `tls-handshake` verify their peer against CA_PEM.

use std::time::Instant;

use futures::future::join;
use portable_streams::{
    ClientTls, ConnectOptions, Error, Reader, Writer, open_connection, open_connection_with,
};

const CHUNK: usize = 64 * 1024;

async fn bulk(host: &str, port: u16, total: usize) -> Result<(), Error> {
    let (reader, writer) = open_connection(host, port).await?;
    echo_both_ways(&reader, &writer, total).await?;
    writer.write_eof()
}

/// `bulk` over TLS: the same bytes both ways, then `close` (TLS has no
/// `write_eof`).
async fn tls_bulk(host: &str, port: u16, total: usize, ca: &str) -> Result<(), Error> {
    let options = ConnectOptions::new().tls(ClientTls::new().add_root_certificate(ca.to_owned()));
    let (reader, writer) = open_connection_with(host, port, options).await?;
    echo_both_ways(&reader, &writer, total).await?;
    writer.close();
    writer.wait_closed().await
}

/// `count` TLS connections one after the other: the handshake, then
/// `close` (its `close_notify`) and `wait_closed`.
async fn tls_handshakes(host: &str, port: u16, count: usize, ca: &str) -> Result<(), Error> {
    for _ in 0..count {
        let tls = ClientTls::new().add_root_certificate(ca.to_owned());
        let (_reader, writer) =
            open_connection_with(host, port, ConnectOptions::new().tls(tls)).await?;
        writer.close();
        writer.wait_closed().await?;
    }
    Ok(())
}

/// Sends `total` bytes in 64 KiB writes while reading as many back.
async fn echo_both_ways(reader: &Reader, writer: &Writer, total: usize) -> Result<(), Error> {
    let payload = vec![0x5a; CHUNK];
    let send = async {
        let mut sent = 0;
        while sent < total {
            writer.write(&payload)?;
            writer.drain().await?;
            sent += CHUNK;
        }
        Ok(())
    };
    let receive = async {
        let mut got = 0;
        while got < total {
            let chunk = reader.read(CHUNK).await?;
            if chunk.is_empty() {
                return Err(Error::Other(format!("EOF after {got} bytes")));
            }
            got += chunk.len();
        }
        Ok(())
    };
    let (s, r) = join(send, receive).await;
    s.and(r)
}

async fn readline(host: &str, port: u16, lines: usize) -> Result<(), Error> {
    let (reader, _writer) = open_connection(host, port).await?;
    for i in 0..lines {
        let line = reader.readline_bytes().await?;
        if line.len() != 100 {
            return Err(Error::Other(format!("line {i} has {} bytes", line.len())));
        }
    }
    Ok(())
}

async fn ping_pong(host: &str, port: u16, rounds: usize) -> Result<Vec<u64>, Error> {
    let (reader, writer) = open_connection(host, port).await?;
    let request = [7u8; 64];
    let mut latencies = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        writer.write(&request)?;
        writer.drain().await?;
        reader.readexactly(64).await?;
        latencies.push(start.elapsed().as_nanos() as u64);
    }
    Ok(latencies)
}

async fn accept_rate(host: &str, port: u16, connections: usize) -> Result<(), Error> {
    for _ in 0..connections {
        let (reader, writer) = open_connection(host, port).await?;
        writer.close();
        writer.wait_closed().await?;
        drop(reader);
    }
    Ok(())
}

/// `n` connections, opened one after the other.
async fn open_all(
    host: &str,
    port: u16,
    n: usize,
) -> Result<Vec<(portable_streams::Reader, portable_streams::Writer)>, Error> {
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        open.push(open_connection(host, port).await?);
    }
    Ok(open)
}

async fn concurrency(host: &str, port: u16, connections: usize) -> Result<(), Error> {
    let open = open_all(host, port, connections).await?;
    let rounds = open
        .iter()
        .enumerate()
        .map(|(i, (reader, writer))| async move {
            let msg = format!("connection {i}\n");
            writer.write(msg.as_bytes())?;
            writer.drain().await?;
            let echo = reader.readline().await?;
            if echo != msg.as_bytes() {
                return Err(Error::Other(format!("connection {i} got a wrong echo")));
            }
            Ok(())
        });
    for r in futures::future::join_all(rounds).await {
        r?;
    }
    Ok(())
}

/// The soak: `SOAK_CONNECTIONS` connections, each echoing payloads of
/// varying size (1 byte to 8 KiB) with a pattern of its own, every echo
/// checked byte for byte, until `seconds` have passed. Prints how many
/// bytes and rounds were checked.
async fn soak(host: &str, port: u16, seconds: usize) -> Result<(), Error> {
    const SOAK_CONNECTIONS: usize = 1_000;
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds as u64);
    let open = open_all(host, port, SOAK_CONNECTIONS).await?;
    let runs = open
        .into_iter()
        .enumerate()
        .map(|(i, (reader, writer))| async move {
            let (mut bytes, mut rounds) = (0u64, 0u64);
            while Instant::now() < deadline {
                let len = 1 + (i * 7919 + rounds as usize * 104_729) % 8192;
                let payload: Vec<u8> = (0..len)
                    .map(|k| (i as u64 * 31 + rounds * 7 + k as u64) as u8)
                    .collect();
                writer.write(&payload)?;
                writer.drain().await?;
                let echo = reader.readexactly(len).await?;
                if echo != payload {
                    return Err(Error::Other(format!(
                        "connection {i}, round {rounds}: wrong echo"
                    )));
                }
                bytes += len as u64;
                rounds += 1;
            }
            writer.close();
            writer.wait_closed().await?;
            Ok((bytes, rounds))
        });
    let (mut bytes, mut rounds) = (0u64, 0u64);
    for result in futures::future::join_all(runs).await {
        let (b, r) = result?;
        bytes += b;
        rounds += r;
    }
    println!("soak_bytes={bytes}");
    println!("soak_rounds={rounds}");
    Ok(())
}

/// Serves `clients` clients, one line echoed each, through one server in
/// this one store (`bench --accept-soak`): listens on `host:port`, then
/// closes the server and returns once that many were served.
async fn serve_many(host: &str, port: u16, clients: usize) -> Result<(), Error> {
    let (done, mut served) = futures::channel::mpsc::unbounded::<()>();
    let server = portable_streams::start_server(
        move |reader, writer| {
            let done = done.clone();
            async move {
                if let Ok(line) = reader.readline().await
                    && writer.write(&line).is_ok()
                    && writer.drain().await.is_ok()
                {
                    let _ = done.unbounded_send(());
                }
                writer.close();
            }
        },
        host,
        port,
    )
    .await?;
    for _ in 0..clients {
        if futures::StreamExt::next(&mut served).await.is_none() {
            return Err(Error::Other("the server stopped".into()));
        }
    }
    server.close();
    server.wait_closed().await;
    Ok(())
}

async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (workload, host, port, count, ca) = match &args[..] {
        [_, workload, host, port, count] => (workload, host, port, count, None),
        [_, workload, host, port, count, ca] => (workload, host, port, count, Some(ca)),
        _ => return Err("usage: bench-client WORKLOAD HOST PORT COUNT [CA_PEM]".into()),
    };
    let port: u16 = port.parse().map_err(|_| "bad port")?;
    let count: usize = count.parse().map_err(|_| "bad count")?;
    let start = Instant::now();
    let result = match workload.as_str() {
        "bulk" => bulk(host, port, count).await.map(|()| Vec::new()),
        "tls-bulk" => {
            let ca = ca.ok_or("tls-bulk needs the CA's PEM")?;
            tls_bulk(host, port, count, ca).await.map(|()| Vec::new())
        }
        "tls-handshake" => {
            let ca = ca.ok_or("tls-handshake needs the CA's PEM")?;
            tls_handshakes(host, port, count, ca)
                .await
                .map(|()| Vec::new())
        }
        "readline" => readline(host, port, count).await.map(|()| Vec::new()),
        "ping-pong" => ping_pong(host, port, count).await,
        "accept" => accept_rate(host, port, count).await.map(|()| Vec::new()),
        "concurrency" => concurrency(host, port, count).await.map(|()| Vec::new()),
        "soak" => soak(host, port, count).await.map(|()| Vec::new()),
        "serve-many" => serve_many(host, port, count).await.map(|()| Vec::new()),
        other => Err(Error::InvalidArgument(format!("unknown workload {other}"))),
    };
    let elapsed = start.elapsed();
    let mut latencies = result.map_err(|e| e.to_string())?;
    println!("elapsed_ns={}", elapsed.as_nanos());
    if !latencies.is_empty() {
        latencies.sort_unstable();
        let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        println!("p50_ns={}", p(0.50));
        println!("p99_ns={}", p(0.99));
    }
    Ok(())
}

portable_streams::main!(main);
