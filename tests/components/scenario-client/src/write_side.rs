//! The writing calls the writer scenarios make, so that the same scenario
//! runs against the raw binding and against the SDK's writer (its outbox
//! in front of the binding).

use portable_streams::bindings::portable::streams::streams::{Error, Writer};

use crate::{sleep_ms, to_wit};

/// One writer: the raw binding or the SDK's.
pub(crate) trait WriteSide {
    fn write(&self, data: &[u8]) -> Result<(), Error>;
    fn writelines(&self, lines: &[&[u8]]) -> Result<(), Error>;
    fn write_eof(&self) -> Result<(), Error>;
    async fn drain(&self) -> Result<(), Error>;
    fn close(&self);
    fn abort(&self);
    fn is_closing(&self) -> bool;
    fn can_write_eof(&self) -> bool;
    fn set_limits(&self, high: Option<u64>, low: Option<u64>) -> Result<(), Error>;
    /// `(low, high)`.
    fn limits(&self) -> (u64, u64);
    fn size(&self) -> u64;
    async fn wait_closed(&self) -> Result<(), Error>;
}

/// After `ms` milliseconds, the writer's own end: `abort` or `close`.
pub(crate) async fn end_after<W: WriteSide>(writer: &W, ms: u64, abort: bool) {
    sleep_ms(ms).await;
    if abort {
        writer.abort()
    } else {
        writer.close()
    }
}

impl WriteSide for Writer {
    fn write(&self, data: &[u8]) -> Result<(), Error> {
        Writer::write(self, data)
    }
    fn writelines(&self, lines: &[&[u8]]) -> Result<(), Error> {
        let lines: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
        Writer::writelines(self, &lines)
    }
    fn write_eof(&self) -> Result<(), Error> {
        Writer::write_eof(self)
    }
    async fn drain(&self) -> Result<(), Error> {
        Writer::drain(self).await
    }
    fn close(&self) {
        Writer::close(self)
    }
    fn abort(&self) {
        Writer::abort(self)
    }
    fn is_closing(&self) -> bool {
        Writer::is_closing(self)
    }
    fn can_write_eof(&self) -> bool {
        Writer::can_write_eof(self)
    }
    fn set_limits(&self, high: Option<u64>, low: Option<u64>) -> Result<(), Error> {
        self.set_write_buffer_limits(high, low)
    }
    fn limits(&self) -> (u64, u64) {
        self.get_write_buffer_limits()
    }
    fn size(&self) -> u64 {
        self.write_buffer_size()
    }
    async fn wait_closed(&self) -> Result<(), Error> {
        Writer::wait_closed(self).await
    }
}

impl WriteSide for portable_streams::Writer {
    fn write(&self, data: &[u8]) -> Result<(), Error> {
        portable_streams::Writer::write(self, data).map_err(to_wit)
    }
    fn writelines(&self, lines: &[&[u8]]) -> Result<(), Error> {
        portable_streams::Writer::writelines(self, lines.iter().copied()).map_err(to_wit)
    }
    fn write_eof(&self) -> Result<(), Error> {
        portable_streams::Writer::write_eof(self).map_err(to_wit)
    }
    async fn drain(&self) -> Result<(), Error> {
        portable_streams::Writer::drain(self).await.map_err(to_wit)
    }
    fn close(&self) {
        portable_streams::Writer::close(self)
    }
    fn abort(&self) {
        portable_streams::Writer::abort(self)
    }
    fn is_closing(&self) -> bool {
        portable_streams::Writer::is_closing(self)
    }
    fn can_write_eof(&self) -> bool {
        portable_streams::Writer::can_write_eof(self)
    }
    fn set_limits(&self, high: Option<u64>, low: Option<u64>) -> Result<(), Error> {
        self.set_write_buffer_limits(high, low).map_err(to_wit)
    }
    fn limits(&self) -> (u64, u64) {
        self.write_buffer_limits()
    }
    fn size(&self) -> u64 {
        self.write_buffer_size()
    }
    async fn wait_closed(&self) -> Result<(), Error> {
        portable_streams::Writer::wait_closed(self)
            .await
            .map_err(to_wit)
    }
}
