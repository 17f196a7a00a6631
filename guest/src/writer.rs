//! The `writer` resource: every call goes through core's `WriteBuffer`;
//! `write` only appends and wakes the pump (see `pump.rs`), `drain` and
//! `wait-closed` sleep on the connection's `writable` signal.

use std::rc::Rc;

use bytes::Bytes;
use portable_streams_core::DrainStatus;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::conv::to_wit;

/// The `writer` resource.
pub struct Writer {
    conn: Rc<Conn>,
}

impl Writer {
    /// The writer half of `conn`.
    pub(crate) fn new(conn: Rc<Conn>) -> Self {
        Self { conn }
    }
}

impl wit::GuestWriter for Writer {
    fn write(&self, data: Vec<u8>) -> Result<(), wit::Error> {
        let pending = {
            let mut buffer = self.conn.write.borrow_mut();
            buffer.write(Bytes::from(data)).map_err(to_wit)?;
            buffer.has_pending()
        };
        if pending {
            self.conn.pump.notify();
        }
        Ok(())
    }

    fn writelines(&self, data: Vec<Vec<u8>>) -> Result<(), wit::Error> {
        data.into_iter().try_for_each(|item| self.write(item))
    }

    async fn drain(&self) -> Result<(), wit::Error> {
        let conn = &self.conn;
        loop {
            let resumed = conn.writable.wait();
            // asyncio's drain raises the reader's exception first.
            if let Some(error) = conn.read.borrow().exception() {
                return Err(to_wit(error.clone()));
            }
            let status = conn.write.borrow().drain_status();
            match status {
                DrainStatus::Ready => return Ok(()),
                DrainStatus::Failed(error) => return Err(to_wit(error)),
                DrainStatus::Wait => resumed.await,
            }
        }
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn write_eof(&self) -> Result<(), wit::Error> {
        self.conn.write.borrow_mut().write_eof();
        self.conn.pump.notify();
        Ok(())
    }

    fn close(&self) {
        self.conn.close();
    }

    fn abort(&self) {
        self.conn.abort();
    }

    fn is_closing(&self) -> bool {
        self.conn.write.borrow().is_closing()
    }

    async fn wait_closed(&self) -> Result<(), wit::Error> {
        let conn = &self.conn;
        loop {
            let changed = conn.writable.wait();
            {
                let buffer = conn.write.borrow();
                if buffer.is_closed() {
                    return buffer
                        .close_error()
                        .cloned()
                        .map_or(Ok(()), |e| Err(to_wit(e)));
                }
            }
            changed.await;
        }
    }

    fn get_extra_info(&self) -> wit::ExtraInfo {
        let (peername, sockname) = self.conn.info();
        wit::ExtraInfo {
            peername,
            sockname,
            tls: None,
        }
    }

    fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), wit::Error> {
        self.conn
            .write
            .borrow_mut()
            .set_limits(high, low)
            .map_err(to_wit)
    }

    fn get_write_buffer_limits(&self) -> (u64, u64) {
        let limits = self.conn.write.borrow().limits();
        (limits.low, limits.high)
    }

    fn write_buffer_size(&self) -> u64 {
        self.conn.write.borrow().size()
    }
}

impl Drop for Writer {
    /// asyncio's `StreamWriter.__del__`: an unclosed writer is closed
    /// (buffered data is still flushed).
    fn drop(&mut self) {
        self.conn.close();
    }
}
