//! The `wasi:sockets` 0.3 TCP door under the store's [`SocketAccount`]:
//! wasmtime-wasi's own functions, with `create`, `listen`, `receive`,
//! `send` and the socket's drop shadowed so that each socket holds a place
//! from its creation for as long as the OS socket can live: until the
//! resource is dropped and its `receive` and `send` streams have ended (a
//! listening one also while its accept stream lives). Past a cap the call
//! fails with `wasi:sockets`' own `access-denied`. `connect` is shadowed
//! too: once places run short, it gives the store's event loop a turn
//! first, so that the places of closed sockets are freed.
//!
//! [`SocketAccount`]: super::SocketAccount

use std::net::SocketAddr;
use std::task::Poll;

use wasmtime::component::{
    Access, Accessor, FutureReader, Linker, Resource, ResourceType, StreamReader,
};
use wasmtime::{AsContextMut, StoreContextMut};
use wasmtime_wasi::p3::bindings::sockets::types::{
    ErrorCode, HostTcpSocket, HostTcpSocketWithStore, IpAddressFamily, IpSocketAddress,
};
use wasmtime_wasi::p3::sockets::SocketResult;
use wasmtime_wasi::sockets::{TcpSocket, WasiSockets, WasiSocketsView};

use super::relay::relay_accepted;
use super::watch::hold_until_ended;
use super::{SocketLedgerView, granted};

/// The interface wasmtime-wasi registers the TCP socket in.
const TYPES: &str = "wasi:sockets/types@0.3.0";

/// What a shadowed function returns to the guest for a socket error, or
/// the trap it carries.
fn lower<R>(result: SocketResult<R>) -> wasmtime::Result<Result<R, ErrorCode>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => Ok(Err(error.downcast()?)),
    }
}

/// Shadows wasmtime-wasi's TCP socket functions in `linker` (which must
/// already hold `wasmtime_wasi::p3::add_to_linker`'s) with accounted ones.
pub fn add_to_linker<T>(linker: &mut Linker<T>) -> wasmtime::Result<()>
where
    T: WasiSocketsView + SocketLedgerView + 'static,
{
    linker.allow_shadowing(true);
    let mut types = linker.instance(TYPES)?;
    types.resource(
        "tcp-socket",
        ResourceType::host::<TcpSocket>(),
        |mut store, rep| {
            let data = store.data_mut();
            data.sockets()
                .table
                .delete(Resource::<TcpSocket>::new_own(rep))?;
            data.socket_ledger().release(rep);
            Ok(())
        },
    )?;
    types.func_wrap(
        "[static]tcp-socket.create",
        |mut store: StoreContextMut<'_, T>, (family,): (IpAddressFamily,)| {
            let data = store.data_mut();
            let Some(place) = granted(data.socket_ledger().account().connection_place(), "create")
            else {
                return Ok((Err(ErrorCode::AccessDenied),));
            };
            let created = lower(HostTcpSocket::create(&mut data.sockets(), family))?;
            if let Ok(socket) = &created {
                data.socket_ledger().hold(socket.rep(), place);
            }
            Ok((created,))
        },
    )?;
    types.func_wrap_async(
        "[method]tcp-socket.listen",
        |mut store: StoreContextMut<'_, T>, (socket,): (Resource<TcpSocket>,)| {
            Box::new(async move {
                let rep = socket.rep();
                let Some(place) = granted(
                    store.data_mut().socket_ledger().account().listener_place(),
                    "listen",
                ) else {
                    return Ok((Err(ErrorCode::AccessDenied),));
                };
                let access = Access::<T, WasiSockets>::new(store.as_context_mut(), T::sockets);
                let listened = lower(
                    <WasiSockets as HostTcpSocketWithStore<T>>::listen(access, socket).await,
                )?;
                let Ok(accepted) = listened else {
                    return Ok((listened,));
                };
                // A listening socket holds a listener place instead of its
                // connection place, as long as it or its accept stream lives.
                let data = store.data_mut();
                data.socket_ledger().hold(rep, place.clone());
                let listening = HostTcpSocket::get_local_address(
                    &mut data.sockets(),
                    Resource::new_borrow(rep),
                )
                .ok()
                .map(SocketAddr::from);
                let accepted = relay_accepted(&mut store, accepted, place, listening)?;
                Ok((Ok(accepted),))
            })
        },
    )?;
    types.func_wrap(
        "[method]tcp-socket.receive",
        |mut store: StoreContextMut<'_, T>, (socket,): (Resource<TcpSocket>,)| {
            let place = store.data_mut().socket_ledger().place(socket.rep());
            let access = Access::<T, WasiSockets>::new(store.as_context_mut(), T::sockets);
            let (received, ended) =
                <WasiSockets as HostTcpSocketWithStore<T>>::receive(access, socket)?;
            let ended = hold_until_ended(store, ended, place)?;
            Ok(((received, ended),))
        },
    )?;
    types.func_wrap(
        "[method]tcp-socket.send",
        |mut store: StoreContextMut<'_, T>,
         (socket, data): (Resource<TcpSocket>, StreamReader<u8>)| {
            let place = store.data_mut().socket_ledger().place(socket.rep());
            let access = Access::<T, WasiSockets>::new(store.as_context_mut(), T::sockets);
            let ended: FutureReader<_> =
                <WasiSockets as HostTcpSocketWithStore<T>>::send(access, socket, data)?;
            Ok((hold_until_ended(store, ended, place)?,))
        },
    )?;
    types.func_wrap_concurrent(
        "[method]tcp-socket.connect",
        |accessor: &Accessor<T>, (socket, remote): (Resource<TcpSocket>, IpSocketAddress)| {
            Box::pin(async move {
                let scarce = accessor
                    .with(|mut store| store.get().socket_ledger().account().places_scarce());
                if scarce {
                    yield_to_event_loop().await;
                }
                let sockets = accessor.with_getter::<WasiSockets>(T::sockets);
                lower(
                    <WasiSockets as HostTcpSocketWithStore<T>>::connect(&sockets, socket, remote)
                        .await,
                )
                .map(|result| (result,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Pending once, woken at once: the call returns to the store's event
/// loop before it goes on.
///
/// A socket's place is freed by the host once its streams' results arrive,
/// which the event loop delivers. A loopback `connect` can complete in its
/// first poll, and a component that connects and closes in a loop would
/// then never give the loop a turn: the places of the sockets it closed
/// would pile up until the connection cap refused it, although it held one
/// socket at a time. So once half the places are taken, `connect` lets the
/// loop run first (below that, the turn would only cost time).
async fn yield_to_event_loop() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}
