//! The native server every contender's client talks to: one tokio listener
//! on 127.0.0.1 per workload, with TCP_NODELAY on every connection.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::tls::BenchTls;

use crate::workload::Workload;

/// A running peer; it stops when dropped.
pub struct Peer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its TLS side and CA, for `tls-bulk`.
    pub tls: Option<Arc<BenchTls>>,
    task: JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the peer for `workload` (`count` as the clients use it).
pub async fn start(workload: Workload, count: usize) -> std::io::Result<Peer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let tls = match workload {
        Workload::TlsBulk | Workload::TlsHandshake => {
            Some(Arc::new(BenchTls::new().map_err(std::io::Error::other)?))
        }
        _ => None,
    };
    let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            match acceptor.clone() {
                Some(acceptor) => tokio::spawn(echo_tls(acceptor, stream)),
                None => tokio::spawn(serve(workload, count, stream)),
            };
        }
    });
    Ok(Peer { addr, tls, task })
}

/// Echoes over TLS until the client's `close_notify`, then sends its own.
async fn echo_tls(acceptor: TlsAcceptor, stream: TcpStream) {
    let Ok(tls) = acceptor.accept(stream).await else {
        return;
    };
    let (mut r, mut w) = tokio::io::split(tls);
    let _ = tokio::io::copy(&mut r, &mut w).await;
    let _ = w.shutdown().await;
}

async fn serve(workload: Workload, count: usize, mut stream: TcpStream) {
    match workload {
        Workload::Bulk
        | Workload::TlsBulk
        | Workload::TlsHandshake
        | Workload::PingPong
        | Workload::Concurrency => {
            let (mut r, mut w) = stream.split();
            let _ = tokio::io::copy(&mut r, &mut w).await;
            let _ = w.shutdown().await;
        }
        Workload::Readline => {
            let mut line = [b'x'; 100];
            line[99] = b'\n';
            let block: Vec<u8> = line.repeat(640);
            let mut left = count;
            while left > 0 {
                let n = left.min(640);
                if stream.write_all(&block[..n * 100]).await.is_err() {
                    return;
                }
                left -= n;
            }
            let _ = stream.shutdown().await;
        }
        Workload::Accept => {
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    }
}
