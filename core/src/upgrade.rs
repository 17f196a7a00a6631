//! `start_tls`'s procedure, once for every backend (asyncio 3.11's
//! `StreamWriter.start_tls`): what is checked when, what a failed or
//! cancelled handshake does to the connection. A backend supplies the
//! byte-moving steps through [`Upgrade`] and the handshake itself.
//!
//! The order, and why:
//!
//! 1. The engine's refusals (`start_tls` on a TLS connection, a closing
//!    one), then the backend's own (bad options, a bad server name):
//!    everything that can be refused is, before the connection changes,
//!    as asyncio builds its `SSLContext` first.
//! 2. Everything written so far is sent in the clear (asyncio's
//!    `start_tls` drains first).
//! 3. The checks again (the connection may have closed meanwhile), and
//!    both directions of the transport are taken out (a waiting read
//!    gives its direction back and waits on); one already gone is
//!    `closed`.
//! 4. The handshake. Its failure loses the connection with that error,
//!    and so does a cancellation of the call (the streams are half-way
//!    into TLS: nothing else can be said on them).
//! 5. A connection lost during the handshake stays lost; otherwise it
//!    carries on over TLS, the reader keeping the bytes it holds.

use std::future::Future;

use crate::{Connection, Error, start_tls_cancelled, upgrade_needs_both_directions};

/// The steps of `start_tls` that move bytes: what a backend's connection
/// gives [`start_tls`].
pub trait Upgrade {
    /// Both directions of the plain transport, out of the connection.
    type Plain;
    /// The transport a completed handshake gives.
    type Secured;

    /// Runs `f` on the connection's engine.
    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R;

    /// Waits until [`Connection::flush_status`] is no longer `Wait`.
    fn flush(&self) -> impl Future<Output = Result<(), Error>>;

    /// Takes both directions of the transport out of the connection, or,
    /// when one of them is not there, leaves both and returns `None`. A
    /// direction a waiting read holds is asked back first (that read's
    /// bytes stay with the reader, and it waits for the secured transport):
    /// asyncio lets a read wait across `start_tls`.
    fn take_plain(&self) -> impl Future<Output = Option<Self::Plain>>;

    /// Loses the connection with `error` (the engine's `lost`, and what
    /// the backend releases with it).
    fn lost(&self, error: Option<Error>);

    /// Carries on over `secured`, waking a read and writes that waited.
    fn carry_on(&self, secured: Self::Secured);
}

/// `start_tls` on `conn`: `prepare` makes the handshake's side from the
/// call's options (its error refuses the call, the connection untouched),
/// and `handshake` runs it over the plain transport.
///
/// Cancellation: before the handshake starts, nothing changed; during it,
/// the connection is lost with [`start_tls_cancelled`].
pub async fn start_tls<C, S, H>(
    conn: &C,
    prepare: impl FnOnce() -> Result<S, Error>,
    handshake: impl FnOnce(S, C::Plain) -> H,
) -> Result<(), Error>
where
    C: Upgrade,
    H: Future<Output = Result<C::Secured, Error>>,
{
    conn.with_engine(|engine| engine.start_tls_status())?;
    let side = prepare()?;
    conn.flush().await?;
    conn.with_engine(|engine| engine.start_tls_status())?;
    let plain = conn
        .take_plain()
        .await
        .ok_or_else(upgrade_needs_both_directions)?;
    conn.with_engine(Connection::begin_upgrade);
    let mut upgrading = Upgrading(Some(conn));
    let secured = handshake(side, plain).await;
    upgrading.0 = None;
    let secured = secured.inspect_err(|error| conn.lost(Some(error.clone())))?;
    if conn.with_engine(|engine| engine.is_closed()) {
        return Err(Error::connection_lost());
    }
    conn.carry_on(secured);
    Ok(())
}

/// Takes both directions out of their places, or neither (the rule of
/// [`Upgrade::take_plain`], for a backend that keeps them in two
/// `Option`s).
pub fn take_both<A, B>(a: &mut Option<A>, b: &mut Option<B>) -> Option<(A, B)> {
    if a.is_some() && b.is_some() {
        a.take().zip(b.take())
    } else {
        None
    }
}

/// A handshake under way; dropped while it still holds the connection
/// (the call was cancelled), the connection is lost.
struct Upgrading<'a, C: Upgrade>(Option<&'a C>);

impl<C: Upgrade> Drop for Upgrading<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.lost(Some(start_tls_cancelled()));
        }
    }
}

#[cfg(test)]
#[path = "upgrade_tests.rs"]
mod tests;
