//! One account of a store's sockets, whatever door opened them: the
//! native backing's connections and servers, and the TCP sockets a
//! component (or the guest backend composed into it) opens itself through
//! `wasi:sockets`. Connected, accepted and not yet connected sockets count
//! towards the policy's connection cap, listening ones towards its listener
//! cap; a socket stops counting when it is closed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use portable_streams_core::caps::{ConnectionCount, ListenerCount, Permit, SharedCap};
use portable_streams_core::{ByteBudget, Charge};

use crate::policy::Policy;

/// The counts and caps every door of one store shares; cloned handles
/// share the counts.
#[derive(Debug, Clone, Default)]
pub struct SocketAccount {
    connections: ConnectionCount,
    listeners: ListenerCount,
    max_connections: Option<usize>,
    max_listeners: Option<usize>,
    /// The store's byte budget, which a raw connection is charged
    /// [`RAW_SOCKET_BYTES`] of.
    budget: ByteBudget,
    /// Places taken by `wasi:sockets`' accept check for sockets the
    /// component has not been handed yet (see [`SocketLedger::adopt`]).
    admitted: Arc<Mutex<Vec<Place>>>,
    /// The host's own wake-up connections to listeners the component gave
    /// up (see `relay`), by the address they come from.
    wakes: Arc<Mutex<Wakes>>,
}

/// Wake-up connections: the accept check lets them through whatever the
/// policy and the caps say, taking no place (they count for nothing), and
/// the relay discards them.
#[derive(Debug, Default)]
struct Wakes {
    /// Connecting: not seen by the accept check yet.
    expected: Vec<SocketAddr>,
    /// Admitted by the accept check, not discarded yet.
    admitted: Vec<SocketAddr>,
}

/// The most bytes wasmtime-wasi buffers in the host for one raw TCP
/// connection: 0.2's output stream holds up to 64 KiB of a write, and its
/// input stream reads up to 64 KiB at a time (0.3 copies between the
/// socket and the component's memory, through at most 8 KiB).
pub const RAW_SOCKET_BYTES: u64 = 64 * 1024;

/// What a raw socket holds: its place under a cap and, for a connection,
/// its charge on the byte budget.
#[derive(Debug)]
pub struct Hold {
    _permit: Permit,
    _charge: Option<Charge>,
}

/// A raw socket's hold, shared by the socket and the byte streams taken
/// from it (the OS socket lives until all of them are gone).
pub type Place = Arc<Hold>;

impl SocketAccount {
    /// An empty account under `policy`'s connection and listener caps.
    pub fn new(policy: &Policy) -> Self {
        Self {
            max_connections: policy.max_connections(),
            max_listeners: policy.max_listeners(),
            budget: ByteBudget::new(policy.max_buffered()),
            ..Self::default()
        }
    }

    /// The same account whose sockets (connections and listeners alike)
    /// also count under `shared`, a cap across stores (see `serve`).
    pub fn sharing(self, shared: SharedCap) -> Self {
        Self {
            connections: ConnectionCount::sharing(shared.clone()),
            listeners: ListenerCount::sharing(shared),
            ..self
        }
    }

    /// The store's byte budget, for the native backing.
    pub fn budget(&self) -> &ByteBudget {
        &self.budget
    }

    /// The connection count, for the native backing.
    pub fn connections(&self) -> &ConnectionCount {
        &self.connections
    }

    /// The listener count, for the native backing.
    pub fn listeners(&self) -> &ListenerCount {
        &self.listeners
    }

    /// Whether half or more of the connection cap, or of the byte budget,
    /// is taken.
    pub fn places_scarce(&self) -> bool {
        let connections = self
            .max_connections
            .is_some_and(|max| self.connections.get().saturating_mul(2) >= max);
        let bytes = self
            .budget
            .max()
            .is_some_and(|max| self.budget.held().saturating_mul(2) >= max);
        connections || bytes
    }

    /// The caps' words when a place is refused.
    fn refused(what: portable_streams_core::Error) -> String {
        what.to_string()
    }

    /// A connection place with its charge on the byte budget, or the
    /// refusal's words (`access-denied`).
    pub fn connection_place(&self) -> Result<Place, String> {
        let permit = self
            .connections
            .try_permit(self.max_connections)
            .map_err(Self::refused)?;
        self.hold(permit)
    }

    /// A connection's hold for `permit`: the permit and its charge.
    fn hold(&self, permit: Permit) -> Result<Place, String> {
        let mut charge = Charge::new(self.budget.clone());
        charge
            .try_grow(RAW_SOCKET_BYTES, "a raw socket's buffers are refused")
            .map_err(Self::refused)?;
        Ok(Arc::new(Hold {
            _permit: permit,
            _charge: Some(charge),
        }))
    }

    /// A listener place, or the refusal's words (`access-denied`).
    pub fn listener_place(&self) -> Result<Place, String> {
        let permit = self
            .listeners
            .try_permit(self.max_listeners)
            .map_err(Self::refused)?;
        Ok(Arc::new(Hold {
            _permit: permit,
            _charge: None,
        }))
    }

    /// Takes a place for a connection `wasi:sockets` is about to accept,
    /// kept until the accepted socket reaches the component; `false` when
    /// the cap or the byte budget is reached (the connection is then
    /// reset, and nothing the component holds is disturbed).
    pub fn admit_accepted(&self) -> bool {
        let place = self
            .connections
            .try_permit(self.max_connections)
            .map_err(Self::refused)
            .and_then(|permit| self.hold(permit));
        match place {
            Ok(place) => {
                self.admitted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(place);
                true
            }
            Err(refused) => {
                tracing::info!("accepted connection reset: {refused}");
                false
            }
        }
    }

    /// Lets the host's wake-up connection from `from` past the next accept
    /// check.
    pub fn expect_wake(&self, from: SocketAddr) {
        self.wakes().expected.push(from);
    }

    /// Forgets the wake-up connection from `from` if no accept check has
    /// seen it. One admitted is forgotten only when the relay discards it,
    /// so that a socket that took no place never frees another's.
    pub fn forget_wake(&self, from: SocketAddr) {
        self.wakes().expected.retain(|wake| *wake != from);
    }

    /// Whether a connection from `from` is the host's own wake-up: it is
    /// then admitted without a place.
    pub fn admit_wake(&self, from: SocketAddr) -> bool {
        let mut wakes = self.wakes();
        let Some(at) = wakes.expected.iter().position(|wake| *wake == from) else {
            return false;
        };
        wakes.expected.swap_remove(at);
        wakes.admitted.push(from);
        true
    }

    /// Whether an accepted connection from `from` is an admitted wake-up
    /// (it is then forgotten): it took no place to free.
    pub fn take_woken(&self, from: SocketAddr) -> bool {
        let mut wakes = self.wakes();
        let Some(at) = wakes.admitted.iter().position(|wake| *wake == from) else {
            return false;
        };
        wakes.admitted.swap_remove(at);
        true
    }

    fn wakes(&self) -> std::sync::MutexGuard<'_, Wakes> {
        self.wakes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One place admitted by the accept check, for a socket now handed over.
    fn take_admitted(&self) -> Option<Place> {
        self.admitted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
    }
}

/// `place`, or `None` with its refusal logged as the raw `call`'s (the
/// call then answers `access-denied`).
pub fn granted(place: Result<Place, String>, call: &str) -> Option<Place> {
    place
        .inspect_err(|refused| tracing::info!("wasi:sockets {call} refused: {refused}"))
        .ok()
}

/// Which place each raw socket resource of one store holds, by its handle.
#[derive(Debug, Default)]
pub struct SocketLedger {
    account: SocketAccount,
    held: HashMap<u32, Place>,
}

impl SocketLedger {
    /// An empty ledger over `account`.
    pub fn new(account: SocketAccount) -> Self {
        Self {
            account,
            held: HashMap::new(),
        }
    }

    /// The account the ledger charges.
    pub fn account(&self) -> &SocketAccount {
        &self.account
    }

    /// Records that socket `rep` holds `place`.
    pub fn hold(&mut self, rep: u32, place: Place) {
        self.held.insert(rep, place);
    }

    /// The place socket `rep` holds; a socket the ledger has not seen was
    /// accepted, and adopts a place its accept check took.
    pub fn place(&mut self, rep: u32) -> Option<Place> {
        if let Some(place) = self.held.get(&rep) {
            return Some(place.clone());
        }
        let place = self.account.take_admitted()?;
        self.held.insert(rep, place.clone());
        Some(place)
    }

    /// Records that socket `rep` was handed over as accepted.
    pub fn adopt(&mut self, rep: u32) {
        let _ = self.place(rep);
    }

    /// Socket `rep` is gone: its place is free once no stream holds it.
    /// An accepted socket dropped before anything was called on it frees
    /// the place its accept took.
    pub fn release(&mut self, rep: u32) {
        if self.held.remove(&rep).is_none() {
            drop(self.account.take_admitted());
        }
    }

    /// How many sockets the ledger holds places for.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

/// How the raw-socket doors reach a store's ledger: the seam an embedder
/// implements beside `wasmtime_wasi::WasiView`.
pub trait SocketLedgerView {
    /// The store's ledger.
    fn socket_ledger(&mut self) -> &mut SocketLedger;
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
