//! A component's stdout or stderr delivered line by line to a callback, so
//! an embedder can label, log or watch what a component prints.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Called with each complete line (without its newline).
pub type LineCallback = Arc<dyn Fn(&str) + Send + Sync>;

/// An output stream that calls a [`LineCallback`] per line.
#[derive(Clone)]
pub struct LineOutput {
    callback: LineCallback,
    partial: Arc<Mutex<Vec<u8>>>,
}

impl LineOutput {
    /// Calls `callback` with each line written.
    pub fn new(callback: LineCallback) -> Self {
        Self {
            callback,
            partial: Arc::default(),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut partial = self.partial.lock().unwrap_or_else(|e| e.into_inner());
        partial.extend_from_slice(bytes);
        while let Some(end) = partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            (self.callback)(String::from_utf8_lossy(&line[..end]).trim_end_matches('\r'));
        }
    }
}

impl IsTerminal for LineOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LineOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for LineOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
