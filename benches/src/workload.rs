//! The workloads and their sizes.

/// One benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 64 KiB writes echoed back; `count` bytes each way.
    Bulk,
    /// `Bulk` over TLS (TLS 1.3, each side's own TLS stack).
    TlsBulk,
    /// `count` TLS 1.3 connections one after the other, each a full
    /// handshake (no resumption) and a `close_notify`.
    TlsHandshake,
    /// `count` lines of 100 bytes read with readline.
    Readline,
    /// `count` round trips of 64 bytes.
    PingPong,
    /// `count` sequential connect/close.
    Accept,
    /// `count` simultaneous connections, each echoing one line.
    Concurrency,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 7] = [
        Workload::Bulk,
        Workload::TlsBulk,
        Workload::TlsHandshake,
        Workload::Readline,
        Workload::PingPong,
        Workload::Accept,
        Workload::Concurrency,
    ];

    /// The name the clients take on their command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Bulk => "bulk",
            Workload::TlsBulk => "tls-bulk",
            Workload::TlsHandshake => "tls-handshake",
            Workload::Readline => "readline",
            Workload::PingPong => "ping-pong",
            Workload::Accept => "accept",
            Workload::Concurrency => "concurrency",
        }
    }

    /// The full size (the figures), divided by `scale`.
    pub fn count(self, scale: usize) -> usize {
        let full = match self {
            Workload::Bulk => 256 << 20,
            Workload::TlsBulk => 32 << 20,
            Workload::TlsHandshake => 500,
            Workload::Readline => 1_000_000,
            Workload::PingPong => 100_000,
            Workload::Accept => 10_000,
            Workload::Concurrency => 1_000,
        };
        (full / scale).max(1)
    }
}
