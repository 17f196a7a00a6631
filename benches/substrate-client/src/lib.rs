//! `substrate-client WORKLOAD HOST PORT COUNT`: the bench's bulk,
//! ping-pong and accept workloads written directly on `wasi:sockets` 0.3
//! (no portable:streams), the ceiling for the guest backend. Prints
//! `elapsed_ns=N` (and `p50_ns`/`p99_ns` for ping-pong), as `bench-client`.

use std::net::Ipv4Addr;
use std::time::Instant;

use futures::future::join;
use wasip3::sockets::types::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, TcpSocket};
use wit_bindgen::{StreamReader, StreamResult, StreamWriter};

const CHUNK: usize = 64 * 1024;

/// A connected socket's two byte streams (the socket kept open with them).
struct Connection {
    _socket: TcpSocket,
    rx: StreamReader<u8>,
    tx: StreamWriter<u8>,
}

async fn connect(ip: Ipv4Addr, port: u16) -> Result<Connection, String> {
    let socket = TcpSocket::create(IpAddressFamily::Ipv4).map_err(|e| format!("{e:?}"))?;
    let [a, b, c, d] = ip.octets();
    socket
        .connect(IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (a, b, c, d),
        }))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let (rx, _rx_end) = socket.receive();
    let (tx, to_send) = wasip3::wit_stream::new::<u8>();
    // The send's outcome is not awaited: the workloads check what comes back.
    drop(socket.send(to_send));
    Ok(Connection {
        _socket: socket,
        rx,
        tx,
    })
}

/// Reads until `n` bytes arrived.
async fn receive(rx: &mut StreamReader<u8>, n: usize) -> Result<(), String> {
    let mut got = 0;
    while got < n {
        let (result, data) = rx.read(Vec::with_capacity((n - got).min(CHUNK))).await;
        if result == StreamResult::Dropped && data.is_empty() {
            return Err(format!("EOF after {got} of {n} bytes"));
        }
        got += data.len();
    }
    Ok(())
}

async fn send(tx: &mut StreamWriter<u8>, data: Vec<u8>) -> Result<(), String> {
    let refused = tx.write_all(data).await;
    match refused.is_empty() {
        true => Ok(()),
        false => Err("the peer stopped reading".into()),
    }
}

async fn bulk(ip: Ipv4Addr, port: u16, total: usize) -> Result<Vec<u64>, String> {
    let Connection {
        _socket,
        mut rx,
        mut tx,
    } = connect(ip, port).await?;
    let sending = async {
        let payload = vec![0x5a; CHUNK];
        let mut sent = 0;
        while sent < total {
            send(&mut tx, payload.clone()).await?;
            sent += CHUNK;
        }
        Ok::<_, String>(())
    };
    let (sent, received) = join(sending, receive(&mut rx, total)).await;
    sent.and(received).map(|()| Vec::new())
}

async fn ping_pong(ip: Ipv4Addr, port: u16, rounds: usize) -> Result<Vec<u64>, String> {
    let Connection {
        _socket,
        mut rx,
        mut tx,
    } = connect(ip, port).await?;
    let mut latencies = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        send(&mut tx, vec![7u8; 64]).await?;
        receive(&mut rx, 64).await?;
        latencies.push(start.elapsed().as_nanos() as u64);
    }
    Ok(latencies)
}

async fn accept(ip: Ipv4Addr, port: u16, connections: usize) -> Result<Vec<u64>, String> {
    for _ in 0..connections {
        drop(connect(ip, port).await?);
    }
    Ok(Vec::new())
}

async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, workload, host, port, count] = &args[..] else {
        return Err("usage: substrate-client WORKLOAD HOST PORT COUNT".into());
    };
    let ip: Ipv4Addr = host.parse().map_err(|_| "an IPv4 address")?;
    let port: u16 = port.parse().map_err(|_| "bad port")?;
    let count: usize = count.parse().map_err(|_| "bad count")?;
    let start = Instant::now();
    let mut latencies = match workload.as_str() {
        "bulk" => bulk(ip, port, count).await?,
        "ping-pong" => ping_pong(ip, port, count).await?,
        "accept" => accept(ip, port, count).await?,
        other => return Err(format!("unknown workload {other}")),
    };
    let elapsed = start.elapsed();
    println!("elapsed_ns={}", elapsed.as_nanos());
    if !latencies.is_empty() {
        latencies.sort_unstable();
        let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        println!("p50_ns={}", p(0.50));
        println!("p99_ns={}", p(0.99));
    }
    Ok(())
}

struct Run;

impl wasip3::exports::cli::run::Guest for Run {
    async fn run() -> Result<(), ()> {
        main().await.map_err(|error| eprintln!("error: {error}"))
    }
}

wasip3::cli::command::export!(Run);
