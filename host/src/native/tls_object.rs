//! `tls-over-memory` and the `tls-object` resource: core's [`MemoryTls`]
//! with this backend's crypto provider; this file only converts.

use portable_streams_core::tls::MemoryTls;
use wasmtime::component::Resource;

use super::{NativeCtxView, tls, wit};

/// The `tls-object` resource: TLS over memory.
pub struct TlsObject {
    session: MemoryTls,
}

/// A WIT call's outcome: a trap for host bugs, else the typed result.
type Outcome<T> = wasmtime::Result<Result<T, wit::Error>>;

impl NativeCtxView<'_> {
    /// `tls-over-memory(side)`: a client verifies the server as its
    /// `server-name` (no address to fall back on).
    pub(crate) fn tls_over_memory(&mut self, side: wit::TlsSide) -> Outcome<Resource<TlsObject>> {
        let session = side
            .side(None, tls::provider())
            .and_then(|side| MemoryTls::new(&side));
        match session {
            Ok(session) => Ok(Ok(self.table.push(TlsObject { session })?)),
            Err(error) => Ok(Err(error.into())),
        }
    }

    fn session(&mut self, object: &Resource<TlsObject>) -> wasmtime::Result<&mut MemoryTls> {
        Ok(&mut self.table.get_mut(object)?.session)
    }
}

impl wit::HostTlsObject for NativeCtxView<'_> {
    fn receive(
        &mut self,
        object: Resource<TlsObject>,
        ciphertext: Vec<u8>,
    ) -> Outcome<wit::TlsReceived> {
        let received = self.session(&object)?.receive(&ciphertext);
        Ok(received
            .map(|received| wit::TlsReceived {
                plaintext: received.plaintext,
                peer_closed: received.peer_closed,
            })
            .map_err(Into::into))
    }

    fn take_outgoing(&mut self, object: Resource<TlsObject>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.session(&object)?.take_outgoing())
    }

    fn is_handshaking(&mut self, object: Resource<TlsObject>) -> wasmtime::Result<bool> {
        Ok(self.session(&object)?.is_handshaking())
    }

    fn write(&mut self, object: Resource<TlsObject>, plaintext: Vec<u8>) -> Outcome<()> {
        Ok(self.session(&object)?.write(&plaintext).map_err(Into::into))
    }

    fn close(&mut self, object: Resource<TlsObject>) -> wasmtime::Result<()> {
        self.session(&object)?.close();
        Ok(())
    }

    fn info(&mut self, object: Resource<TlsObject>) -> wasmtime::Result<Option<wit::TlsInfo>> {
        Ok(self.session(&object)?.details().map(Into::into))
    }

    fn drop(&mut self, object: Resource<TlsObject>) -> wasmtime::Result<()> {
        self.table.delete(object)?;
        Ok(())
    }
}
