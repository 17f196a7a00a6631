//! The `reader` resource: each call is carried out by `receive.rs`, which
//! asks the engine what to do next and reads from the source inside the
//! call itself when told to (cancel-safe: no received byte is lost).

use std::rc::Rc;

use portable_streams_core::{Error, ReadRequest};
use wit_bindgen::{FutureReader, StreamReader};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::receive::read;
use crate::settle::settled;

/// The `reader` resource.
pub struct Reader {
    conn: Rc<Conn>,
}

impl Reader {
    /// The reader half of `conn`.
    pub(crate) fn new(conn: Rc<Conn>) -> Self {
        Self { conn }
    }

    async fn call(&self, request: Result<ReadRequest, Error>) -> Result<Vec<u8>, wit::Error> {
        settled(async {
            let request = request?;
            Ok(Vec::from(read(&self.conn, request).await?))
        })
        .await
    }
}

impl wit::GuestReader for Reader {
    async fn read(&self, n: i64) -> Result<Vec<u8>, wit::Error> {
        self.call(Ok(ReadRequest::read(n))).await
    }

    async fn readline(&self) -> Result<Vec<u8>, wit::Error> {
        self.call(Ok(ReadRequest::readline())).await
    }

    async fn readexactly(&self, n: i64) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::readexactly(n)).await
    }

    async fn readuntil(&self, separators: Vec<Vec<u8>>) -> Result<Vec<u8>, wit::Error> {
        self.call(ReadRequest::readuntil(separators)).await
    }

    fn at_eof(&self) -> bool {
        self.conn.state().engine.reader().at_eof()
    }

    fn limit(&self) -> u32 {
        u32::try_from(self.conn.state().engine.reader().limit()).unwrap_or(u32::MAX)
    }

    async fn into_stream(
        &self,
    ) -> Result<(StreamReader<u8>, FutureReader<Result<(), wit::Error>>), wit::Error> {
        settled(async { crate::stream_out::into_stream(self.conn.clone()) })
            .await
            .map_err(Into::into)
    }
}

impl Drop for Reader {
    /// Nobody can read any more: release the source (for a socket, the
    /// host shuts the read half down). Writing goes on.
    fn drop(&mut self) {
        let source = self.conn.state().source.take();
        drop(source);
    }
}
