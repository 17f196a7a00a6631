//! `writer.start-tls`: asyncio 3.11's `StreamWriter.start_tls`. Once
//! everything written was sent, the TLS handshake runs over the
//! connection's own streams and the connection carries on over TLS; bytes
//! the reader already holds stay there. A failed or cancelled handshake
//! loses the connection (its streams are mid-handshake: nothing else can
//! be said on them).

use portable_streams_core::{Connection, Error, upgrade_needs_both_directions};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::tls;
use crate::transport::Transport;

/// The side `start_tls` takes, ready to shake hands.
enum Side {
    Client(tls::Client),
    Server(tls::Server),
}

/// `start_tls(side)` on `conn`.
pub(crate) async fn start_tls(conn: &Conn, side: wit::TlsSide) -> Result<(), Error> {
    conn.state().engine.start_tls_status()?;
    // Everything that can be refused is, before the connection changes.
    let side = match &side {
        wit::TlsSide::Client(options) => {
            // Without `server-name`, the peer's address is verified.
            let peer = match conn.info().0 {
                Some(wit::SocketAddress::Ipv4(peer)) => Some(peer.host),
                Some(wit::SocketAddress::Ipv6(peer)) => Some(peer.host),
                _ => None,
            };
            Side::Client(tls::Client::new(options, peer.as_deref())?)
        }
        wit::TlsSide::Server(options) => Side::Server(tls::Server::new(options)?),
    };
    conn.wait_for_writers(Connection::flush_status).await?;
    let plain = {
        let mut st = conn.state();
        st.engine.start_tls_status()?;
        match (st.source.take(), st.sink.take()) {
            (Some(source), Some(sink)) => Transport {
                source,
                sink,
                info: conn.info(),
                socket: None,
                tls: None,
                early: Default::default(),
            },
            (source, sink) => {
                st.source = source;
                st.sink = sink;
                return Err(upgrade_needs_both_directions());
            }
        }
    };
    let mut upgrading = Upgrading(Some(conn));
    let secured = match side {
        Side::Client(client) => client.connect(plain).await,
        Side::Server(server) => server.accept(plain).await,
    };
    upgrading.0 = None;
    let secured = match secured {
        Ok(secured) => secured,
        Err(error) => {
            conn.lost(Some(error.clone()));
            return Err(error);
        }
    };
    if conn.is_closed() {
        return Err(Error::connection_lost());
    }
    conn.secure(secured);
    Ok(())
}

/// A `start_tls` under way; dropped while it still holds the connection's
/// streams (the call was cancelled), the connection is lost.
struct Upgrading<'a>(Option<&'a Conn>);

impl Drop for Upgrading<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.lost(Some(portable_streams_core::start_tls_cancelled()));
        }
    }
}
