//! `start_tls`: core's procedure (see `upgrade`) with the handshake over
//! this connection's transport.

use portable_streams_core::tls::Side;
use portable_streams_core::upgrade::{self, Upgrade};
use portable_streams_core::{Connection, Error, Wake};

use super::super::tls;
use super::super::transport::{Sink, Source, Transport};
use super::super::wit;
use super::Conn;

impl Conn {
    /// `start_tls(...)`: core's procedure (see `upgrade`), with the
    /// handshake over this connection's transport; bytes already received
    /// stay in the reader.
    pub(crate) async fn start_tls(&self, side: wit::TlsSide) -> Result<(), Error> {
        let prepare = || side.side(self.peer.as_ref(), tls::provider());
        let (peer, local) = (self.peer.clone(), self.local.clone());
        let handshake = |side: Side, (source, sink)| async move {
            let plain = Transport {
                peer,
                local,
                ..Transport::new(source, sink)
            };
            tls::secure(plain, &side).await
        };
        upgrade::start_tls(self, prepare, handshake).await
    }
}

/// `start_tls`'s byte-moving steps, for core's procedure.
impl Upgrade for Conn {
    type Plain = (Source, Sink);
    type Secured = Transport;

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.lock().engine)
    }

    async fn flush(&self) -> Result<(), Error> {
        self.wait_for_writers(|engine| engine.flush_status().answer())
            .await
    }

    /// A waiting read holds nothing here: it polls the source under the
    /// lock, and waits for it while it is out.
    async fn take_plain(&self) -> Option<(Source, Sink)> {
        let st = &mut *self.lock();
        upgrade::take_both(&mut st.source, &mut st.sink)
    }

    fn lost(&self, error: Option<Error>) {
        Conn::lost(self, error);
    }

    fn carry_on(&self, mut secured: Transport) {
        let mut st = self.lock();
        // Lost since the procedure looked (another thread): the secured
        // transport is dropped with this call.
        if st.engine.is_closed() {
            return;
        }
        super::take_in_tls(&mut st.engine, &mut secured);
        st.source = Some(secured.source);
        st.sink = Some(secured.sink);
        // A read that waited for the source, and writes queued meanwhile.
        self.apply(st, Wake::ALL);
    }
}
