//! A server's shell, the same on every backend: core's [`ServerState`] and
//! the backend's listening part behind one lock, and the one signal that
//! `accept` and `wait_closed` calls wait on and closing clients notify.
//! It carries out what does not depend on the sockets: counting `accept`
//! calls while they run, `close`, `wait_closed`, `start_serving`, and the
//! clients' `close_clients`/`abort_clients`. The backend keeps its
//! listening sockets (and their places under the listener cap) in the
//! listening part `L`, which `close` hands back to be dropped.
//!
//! The lock is never held across an `.await`, and never while a client
//! closes: a closing client notifies [`ServerShell::changed`].

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Client, ServerState};
use crate::{Error, Signal};

/// What a server's resource, its `accept` calls and its clients share.
#[derive(Debug)]
pub struct ServerShell<C, A, L> {
    state: Mutex<Locked<C, A, L>>,
    changed: Arc<Signal>,
}

/// What the shell's lock guards.
#[derive(Debug)]
pub struct Locked<C, A, L> {
    /// Core's server engine.
    pub server: ServerState<C, A>,
    /// The backend's listening sockets; taken out (and dropped) on close.
    pub listening: L,
}

impl<C: Client + Clone, A, L> ServerShell<C, A, L> {
    /// A server over `count` listening sockets, held in `listening`, that
    /// serves at once unless `start_serving=False`.
    pub fn new(start_serving: Option<bool>, count: usize, listening: L) -> Self {
        Self {
            state: Mutex::new(Locked {
                server: ServerState::new(start_serving, count),
                listening,
            }),
            changed: Arc::default(),
        }
    }

    /// The state and the listening part. A panic while it was held does
    /// not take the server down with it.
    pub fn lock(&self) -> MutexGuard<'_, Locked<C, A, L>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notified when a connection arrives or finishes its handshake, an
    /// `accept` call ends, a client closes, or the server starts serving
    /// or closes. Each client's connection holds it, to notify on close.
    pub fn changed(&self) -> &Arc<Signal> {
        &self.changed
    }

    /// Counts an `accept` call as pending until the guard is dropped (also
    /// when the call is cancelled).
    pub fn accepting(&self) -> Accepting<'_, C, A, L> {
        self.lock().server.begin_accept();
        Accepting {
            shell: self,
            waker: None,
        }
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.lock().server.is_closed()
    }

    /// Returns once the server is closed.
    ///
    /// Cancellation safe.
    pub async fn closed(&self) {
        self.changed.until(|| self.is_closed().then_some(())).await
    }

    /// `wait_closed()`: returns once the server is closed, every `accept`
    /// call has ended and every client is closed.
    ///
    /// Cancellation safe.
    pub async fn wait_closed(&self) {
        self.changed
            .until(|| self.lock().server.wait_closed_done().then_some(()))
            .await
    }

    /// `is_serving()`.
    pub fn is_serving(&self) -> bool {
        self.lock().server.is_serving()
    }

    /// `start_serving()`: `closed` once the server is closed. Returns
    /// whether serving started now (waiting calls are woken).
    pub fn start_serving(&self) -> Result<bool, Error> {
        let started = self.lock().server.start_serving()?;
        if started {
            self.changed.notify();
        }
        Ok(started)
    }

    /// `sockets`: the bound addresses, none once the server is closed.
    pub fn sockets<T: Clone>(&self, addresses: &[T]) -> Vec<T> {
        self.lock().server.sockets(addresses)
    }

    /// `close_clients()`: closes every open client.
    pub fn close_clients(&self) {
        for client in self.open_clients() {
            client.close();
        }
    }

    /// `abort_clients()`: aborts every open client.
    pub fn abort_clients(&self) {
        for client in self.open_clients() {
            client.abort();
        }
    }

    /// The open clients, taken out of the lock (a closing client notifies
    /// the server).
    fn open_clients(&self) -> Vec<C> {
        self.lock().server.open_clients()
    }
}

impl<C: Client + Clone, A, L: Default> ServerShell<C, A, L> {
    /// `close()`: stop serving and listening. Returns the listening part
    /// if this call closed the server, for the backend to drop (accepted
    /// connections stay up); every waiting call is woken.
    pub fn close(&self) -> Option<L> {
        let listening = {
            let mut st = self.lock();
            if !st.server.close() {
                return None;
            }
            std::mem::take(&mut st.listening)
        };
        self.changed.notify();
        Some(listening)
    }
}

/// An `accept` call in progress; see [`ServerShell::accepting`].
pub struct Accepting<'a, C: Client + Clone, A, L> {
    shell: &'a ServerShell<C, A, L>,
    /// The call's waker on [`ServerShell::changed`], for a backend that
    /// registers one (see [`Signal::register`]); removed with the guard,
    /// so a server that accepts many clients keeps no waker per accept.
    pub waker: Option<u64>,
}

impl<C: Client + Clone, A, L> Drop for Accepting<'_, C, A, L> {
    fn drop(&mut self) {
        if let Some(id) = self.waker {
            self.shell.changed.unregister(id);
        }
        if self.shell.lock().server.end_accept() {
            self.shell.changed.notify();
        }
    }
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
