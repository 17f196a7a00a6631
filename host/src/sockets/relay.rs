//! The accept stream of a raw listening socket, relayed to the component so
//! that the host sees each accepted socket (it adopts the place its accept
//! check took) and learns when the component drops the stream (the
//! listener's place is then free, once the socket is dropped too, and the
//! host wakes the pending accept so that the listener closes: see
//! [`wake`](super::wake)).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use wasmtime::component::{
    Destination, Resource, Source, StreamConsumer, StreamProducer, StreamReader, StreamResult,
};
use wasmtime::{AsContextMut, StoreContextMut};
use wasmtime_wasi::p3::bindings::sockets::types::HostTcpSocket;
use wasmtime_wasi::sockets::{TcpSocket, WasiSocketsView};

use super::wake::wake_listener;
use super::{Place, SocketAccount, SocketLedgerView};

/// `accepted` (wasmtime-wasi's accept stream of a listener on `listening`)
/// relayed through the host, holding `place` while the component holds
/// the stream.
pub fn relay_accepted<T: SocketLedgerView + WasiSocketsView + 'static>(
    mut store: impl AsContextMut<Data = T>,
    accepted: StreamReader<Resource<TcpSocket>>,
    place: Place,
    listening: Option<SocketAddr>,
) -> wasmtime::Result<StreamReader<Resource<TcpSocket>>> {
    let account = store
        .as_context_mut()
        .data_mut()
        .socket_ledger()
        .account()
        .clone();
    let handoff = Arc::new(Mutex::new(Handoff::default()));
    accepted.pipe(
        &mut store,
        Take {
            handoff: handoff.clone(),
        },
    )?;
    StreamReader::new(
        &mut store,
        Give {
            handoff,
            _place: place,
            wake: listening.map(|listening| (account, listening)),
        },
    )
}

/// One accepted socket at a time, passed from [`Take`] to [`Give`] only
/// when the component asks, so none waits in between unasked.
#[derive(Default)]
struct Handoff {
    /// The component is reading: take one socket from the listener.
    wanted: bool,
    /// A socket taken, not yet given.
    socket: Option<Resource<TcpSocket>>,
    /// The component dropped its end.
    given_up: bool,
    /// The listener's end is finished.
    ended: bool,
    take_waker: Option<Waker>,
    give_waker: Option<Waker>,
}

impl Handoff {
    fn lock(handoff: &Mutex<Self>) -> std::sync::MutexGuard<'_, Self> {
        handoff.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads wasmtime-wasi's accept stream. It ends (and wasmtime-wasi's
/// listener closes) at the first accepted connection after the component
/// dropped its end (the host's wake-up, or a client that comes first),
/// which is discarded.
struct Take {
    handoff: Arc<Mutex<Handoff>>,
}

impl<D: SocketLedgerView + WasiSocketsView + 'static> StreamConsumer<D> for Take {
    type Item = Resource<TcpSocket>;

    fn poll_consume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'_, D>,
        mut source: Source<'_, Self::Item>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut handoff = Handoff::lock(&self.handoff);
        if handoff.given_up {
            let taken = handoff.socket.take();
            drop(handoff);
            let mut arrived = None;
            source.read(&mut store, &mut arrived)?;
            for socket in [taken, arrived].into_iter().flatten() {
                discard(&mut store, socket);
            }
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        if !handoff.wanted || handoff.socket.is_some() {
            if finish {
                return Poll::Ready(Ok(StreamResult::Cancelled));
            }
            handoff.take_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut socket = None;
        source.read(&mut store, &mut socket)?;
        if let Some(socket) = socket {
            store.data_mut().socket_ledger().adopt(socket.rep());
            handoff.socket = Some(socket);
            handoff.wanted = false;
            if let Some(waker) = handoff.give_waker.take() {
                waker.wake();
            }
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// Closes an accepted `socket` no component was given, and frees the
/// place its accept check took.
fn discard<D: SocketLedgerView + WasiSocketsView>(
    store: &mut StoreContextMut<'_, D>,
    socket: Resource<TcpSocket>,
) {
    let rep = socket.rep();
    let data = store.data_mut();
    let peer = HostTcpSocket::get_remote_address(&mut data.sockets(), Resource::new_borrow(rep))
        .ok()
        .map(SocketAddr::from);
    if let Err(error) = data.sockets().table.delete(socket) {
        tracing::debug!("discarding an accepted socket: {error}");
    }
    let ledger = data.socket_ledger();
    // The host's wake-up took no place; any other accepted socket did.
    if !peer.is_some_and(|peer| ledger.account().take_woken(peer)) {
        ledger.release(rep);
    }
}

impl Drop for Take {
    fn drop(&mut self) {
        let mut handoff = Handoff::lock(&self.handoff);
        handoff.ended = true;
        if let Some(waker) = handoff.give_waker.take() {
            waker.wake();
        }
    }
}

/// The component's accept stream; holds the listener's place.
struct Give {
    handoff: Arc<Mutex<Handoff>>,
    _place: Place,
    /// Whom to wake, and where, when the component drops its end.
    wake: Option<(SocketAccount, SocketAddr)>,
}

impl<D: 'static> StreamProducer<D> for Give {
    type Item = Resource<TcpSocket>;
    type Buffer = Option<Resource<TcpSocket>>;

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut handoff = Handoff::lock(&self.handoff);
        if handoff.socket.is_some() {
            // A zero-length read only asks whether a socket is ready.
            if dst.remaining(&mut store) != Some(0) {
                dst.set_buffer(handoff.socket.take());
            }
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        if handoff.ended {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        handoff.wanted = true;
        if let Some(waker) = handoff.take_waker.take() {
            waker.wake();
        }
        if finish {
            return Poll::Ready(Ok(StreamResult::Cancelled));
        }
        handoff.give_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Give {
    fn drop(&mut self) {
        // A socket taken in the instant before the component dropped its end
        // is discarded by `Take` when it ends.
        let mut handoff = Handoff::lock(&self.handoff);
        handoff.given_up = true;
        if let Some(waker) = handoff.take_waker.take() {
            waker.wake();
        }
        if !handoff.ended
            && let Some((account, listening)) = self.wake.take()
        {
            wake_listener(account, listening);
        }
    }
}
