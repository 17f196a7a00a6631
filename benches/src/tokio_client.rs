//! The ceiling: the same client workloads in native Rust on tokio.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::report::Sample;
use crate::tls::BenchTls;
use crate::workload::Workload;

const CHUNK: usize = 64 * 1024;

async fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Runs `workload` against the peer at `addr`.
pub async fn run(
    workload: Workload,
    addr: SocketAddr,
    count: usize,
    tls: Option<&BenchTls>,
) -> Result<Sample> {
    let start = Instant::now();
    let mut latencies = Vec::new();
    match workload {
        Workload::TlsBulk => {
            let Some(tls) = tls else {
                bail!("tls-bulk needs the peer's CA");
            };
            let name = rustls::pki_types::ServerName::from(addr.ip());
            let stream = tls.connector()?.connect(name, connect(addr).await?).await?;
            let (mut r, mut w) = tokio::io::split(stream);
            let send = async {
                let payload = vec![0x5au8; CHUNK];
                let mut sent = 0;
                while sent < count {
                    w.write_all(&payload).await?;
                    sent += CHUNK;
                }
                // tokio-rustls may hold the last records' ciphertext (the
                // socket was full when it encrypted them) until a flush:
                // without one the peer never echoes the end, and the run
                // hangs now and then.
                w.flush().await?;
                anyhow::Ok(())
            };
            let receive = async {
                let mut buf = vec![0u8; CHUNK];
                let mut got = 0;
                while got < count {
                    let n = r.read(&mut buf).await?;
                    if n == 0 {
                        bail!("EOF after {got} bytes");
                    }
                    got += n;
                }
                anyhow::Ok(())
            };
            let (s, got) = tokio::join!(send, receive);
            s?;
            got?;
            w.shutdown().await?;
        }
        Workload::TlsHandshake => {
            let Some(tls) = tls else {
                bail!("tls-handshake needs the peer's CA");
            };
            let connector = tls.connector()?;
            let name = rustls::pki_types::ServerName::from(addr.ip());
            for _ in 0..count {
                let mut stream = connector
                    .connect(name.clone(), connect(addr).await?)
                    .await?;
                stream.shutdown().await?;
            }
        }
        Workload::Bulk => {
            let stream = connect(addr).await?;
            let (mut r, mut w) = stream.into_split();
            let send = tokio::spawn(async move {
                let payload = vec![0x5au8; CHUNK];
                let mut sent = 0;
                while sent < count {
                    w.write_all(&payload).await?;
                    sent += CHUNK;
                }
                w.shutdown().await?;
                anyhow::Ok(())
            });
            let mut buf = vec![0u8; CHUNK];
            let mut got = 0;
            while got < count {
                let n = r.read(&mut buf).await?;
                if n == 0 {
                    bail!("EOF after {got} bytes");
                }
                got += n;
            }
            send.await??;
        }
        Workload::Readline => {
            let mut reader = BufReader::with_capacity(64 * 1024, connect(addr).await?);
            let mut line = Vec::with_capacity(128);
            for _ in 0..count {
                line.clear();
                reader.read_until(b'\n', &mut line).await?;
                if line.len() != 100 {
                    bail!("short line");
                }
            }
        }
        Workload::PingPong => {
            let mut stream = connect(addr).await?;
            let request = [7u8; 64];
            let mut reply = [0u8; 64];
            latencies.reserve(count);
            for _ in 0..count {
                let t = Instant::now();
                stream.write_all(&request).await?;
                stream.read_exact(&mut reply).await?;
                latencies.push(t.elapsed());
            }
        }
        Workload::Accept => {
            for _ in 0..count {
                let mut s = connect(addr).await?;
                s.shutdown().await?;
            }
        }
        Workload::Concurrency => {
            let mut open = Vec::with_capacity(count);
            for _ in 0..count {
                open.push(connect(addr).await?);
            }
            let tasks = open.into_iter().enumerate().map(|(i, s)| async move {
                let mut s = BufReader::new(s);
                let msg = format!("connection {i}\n");
                s.get_mut().write_all(msg.as_bytes()).await?;
                let mut echo = String::new();
                s.read_line(&mut echo).await?;
                if echo != msg {
                    bail!("wrong echo");
                }
                anyhow::Ok(())
            });
            for r in futures::future::join_all(tasks).await {
                r?;
            }
        }
    }
    Ok(Sample::new(start.elapsed(), latencies_p(&mut latencies)))
}

/// p50 and p99 of `latencies`, if any.
pub fn latencies_p(latencies: &mut [Duration]) -> Option<(Duration, Duration)> {
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    Some((p(0.50), p(0.99)))
}
