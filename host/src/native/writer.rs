//! The `writer` resource of the native backing.

use std::sync::Arc;

use portable_streams_core::server::Client;

use super::conn::Conn;

/// asyncio's `StreamWriter` for one connection.
pub struct Writer {
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Writer {
    /// asyncio's `StreamWriter.__del__`: an unclosed writer is closed
    /// (what is buffered is still flushed).
    fn drop(&mut self) {
        self.conn.close();
    }
}
