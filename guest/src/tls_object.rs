//! `tls-over-memory` and the `tls-object` resource: core's [`MemoryTls`]
//! with this backend's crypto provider; this file only converts.

use std::cell::RefCell;

use portable_streams_core::tls::MemoryTls;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::tls;

/// The `tls-object` resource.
pub struct TlsObject {
    session: RefCell<MemoryTls>,
}

/// `tls-over-memory(side)`: a client verifies the server as its
/// `server-name` (no address to fall back on).
pub(crate) fn tls_over_memory(side: wit::TlsSide) -> Result<wit::TlsObject, wit::Error> {
    let side = side.side(None, tls::provider())?;
    let session = RefCell::new(MemoryTls::new(&side)?);
    Ok(wit::TlsObject::new(TlsObject { session }))
}

impl wit::GuestTlsObject for TlsObject {
    fn receive(&self, ciphertext: Vec<u8>) -> Result<wit::TlsReceived, wit::Error> {
        let received = self.session.borrow_mut().receive(&ciphertext)?;
        Ok(wit::TlsReceived {
            plaintext: received.plaintext,
            peer_closed: received.peer_closed,
        })
    }

    fn take_outgoing(&self) -> Vec<u8> {
        self.session.borrow_mut().take_outgoing()
    }

    fn is_handshaking(&self) -> bool {
        self.session.borrow().is_handshaking()
    }

    fn write(&self, plaintext: Vec<u8>) -> Result<(), wit::Error> {
        Ok(self.session.borrow_mut().write(&plaintext)?)
    }

    fn close(&self) {
        self.session.borrow_mut().close();
    }

    fn info(&self) -> Option<wit::TlsInfo> {
        self.session.borrow().details().map(Into::into)
    }
}
