//! `writer.start-tls`: core's `start_tls` procedure (asyncio 3.11's
//! `StreamWriter.start_tls`), with the TLS handshake over the connection's
//! own streams; the connection then carries on over TLS, and bytes the
//! reader already holds stay there.

use portable_streams_core::tls::Side;
use portable_streams_core::upgrade::{self, Upgrade};
use portable_streams_core::{Connection, Error};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::tls;
use crate::transport::Transport;

/// `start_tls(side)` on `conn`.
pub(crate) async fn start_tls(conn: &Conn, side: wit::TlsSide) -> Result<(), Error> {
    let prepare = || side.side(conn.peer().as_ref(), tls::provider());
    let handshake = |side: Side, plain| async move { tls::secure(plain, &side).await };
    upgrade::start_tls(conn, prepare, handshake).await
}

/// `start_tls`'s byte-moving steps, for core's procedure.
impl Upgrade for Conn {
    type Plain = Transport;
    type Secured = Transport;

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.state().engine)
    }

    async fn flush(&self) -> Result<(), Error> {
        self.wait_for_writers(|engine| engine.flush_status().answer())
            .await
    }

    async fn take_plain(&self) -> Option<Transport> {
        // A read holding the source gives it back (its bytes go to the
        // reader) and waits until the handshake is over.
        let _asking = Asking::new(self);
        self.closing
            .until(|| (!self.state().reading).then_some(()))
            .await;
        let st = &mut *self.state();
        let (source, sink) = upgrade::take_both(&mut st.source, &mut st.sink)?;
        Some(Transport {
            source,
            sink,
            peer: self.peer(),
            local: self.local(),
            socket: None,
            tls: None,
            early: Default::default(),
        })
    }

    fn lost(&self, error: Option<Error>) {
        Conn::lost(self, error);
    }

    fn carry_on(&self, secured: Transport) {
        self.secure(secured);
    }
}

/// `start_tls` asking a read for the source, until the source is taken
/// (or the call gave up); then reads go on as the connection allows.
struct Asking<'a>(&'a Conn);

impl<'a> Asking<'a> {
    fn new(conn: &'a Conn) -> Self {
        conn.state().upgrading = true;
        conn.closing.notify();
        Self(conn)
    }
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.0.state().upgrading = false;
        self.0.closing.notify();
    }
}
