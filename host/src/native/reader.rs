//! The `reader` resource of the native backing.

use std::sync::Arc;

use super::conn::Conn;

/// asyncio's `StreamReader` for one connection.
pub struct Reader {
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.conn.reader_dropped();
    }
}
