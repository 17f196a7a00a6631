//! The `wasi:sockets` 0.2 TCP door under the store's account: as [`p3`],
//! wasmtime-wasi's own functions with `create-tcp-socket`, `start-listen`,
//! `accept` and the socket's drop shadowed. A 0.2 socket's streams are its
//! children (it cannot be dropped before them), so the place a socket
//! holds is free when the socket is dropped.
//!
//! [`p3`]: super::p3

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceType};
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, IpAddressFamily};
use wasmtime_wasi::p2::bindings::sockets::tcp::HostTcpSocket;
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket::Host as CreateSocket;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, SocketResult, TcpSocket};
use wasmtime_wasi::sockets::WasiSocketsView;

use super::{SocketLedgerView, granted};

/// The interfaces wasmtime-wasi registers 0.2's TCP socket in (any 0.2.x
/// import resolves to them).
const TCP: &str = "wasi:sockets/tcp@0.2.12";
const TCP_CREATE_SOCKET: &str = "wasi:sockets/tcp-create-socket@0.2.12";

fn lower<R>(result: SocketResult<R>) -> wasmtime::Result<Result<R, ErrorCode>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => Ok(Err(error.downcast()?)),
    }
}

/// An accepted connection as 0.2 hands it over.
type Accepted = (
    Resource<TcpSocket>,
    Resource<DynInputStream>,
    Resource<DynOutputStream>,
);

/// Shadows wasmtime-wasi's 0.2 TCP socket functions in `linker` (which
/// must already hold `wasmtime_wasi::p2::add_to_linker_async`'s).
pub fn add_to_linker<T>(linker: &mut Linker<T>) -> wasmtime::Result<()>
where
    T: WasiSocketsView + SocketLedgerView + 'static,
{
    linker.allow_shadowing(true);
    linker.instance(TCP_CREATE_SOCKET)?.func_wrap(
        "create-tcp-socket",
        |mut store: StoreContextMut<'_, T>, (family,): (IpAddressFamily,)| {
            let data = store.data_mut();
            let Some(place) = granted(
                data.socket_ledger().account().connection_place(),
                "create-tcp-socket",
            ) else {
                return Ok((Err(ErrorCode::AccessDenied),));
            };
            let created = lower(CreateSocket::create_tcp_socket(&mut data.sockets(), family))?;
            if let Ok(socket) = &created {
                data.socket_ledger().hold(socket.rep(), place);
            }
            Ok((created,))
        },
    )?;
    let mut tcp = linker.instance(TCP)?;
    tcp.resource(
        "tcp-socket",
        ResourceType::host::<TcpSocket>(),
        |mut store, rep| {
            let data = store.data_mut();
            HostTcpSocket::drop(&mut data.sockets(), Resource::new_own(rep))?;
            data.socket_ledger().release(rep);
            Ok(())
        },
    )?;
    tcp.func_wrap_async(
        "[method]tcp-socket.start-listen",
        |mut store: StoreContextMut<'_, T>, (socket,): (Resource<TcpSocket>,)| {
            Box::new(async move {
                let rep = socket.rep();
                let data = store.data_mut();
                let Some(place) = granted(
                    data.socket_ledger().account().listener_place(),
                    "start-listen",
                ) else {
                    return Ok((Err(ErrorCode::AccessDenied),));
                };
                let started =
                    lower(HostTcpSocket::start_listen(&mut data.sockets(), socket).await)?;
                if started.is_ok() {
                    // From now on the socket holds a listener place instead.
                    store.data_mut().socket_ledger().hold(rep, place);
                }
                Ok((started,))
            })
        },
    )?;
    tcp.func_wrap(
        "[method]tcp-socket.accept",
        |mut store: StoreContextMut<'_, T>, (socket,): (Resource<TcpSocket>,)| {
            let data = store.data_mut();
            let accepted: Result<Accepted, ErrorCode> =
                lower(HostTcpSocket::accept(&mut data.sockets(), socket))?;
            if let Ok((socket, _, _)) = &accepted {
                data.socket_ledger().adopt(socket.rep());
            }
            Ok((accepted,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
