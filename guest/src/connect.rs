//! `open-connection` on `wasi:sockets`: core's pipeline (resolve, admit,
//! order, staggered race, local binding, timeout) with this backend's
//! resolver, attempt and timer.

use std::net::{IpAddr, SocketAddr};

use portable_streams_core::Error;
use portable_streams_core::connect::{self, ConnectPlan, LocalAddresses, connect_context, py_addr};
use portable_streams_core::tls::Side;
use wasip3::clocks::monotonic_clock::wait_for;
use wasip3::sockets::ip_name_lookup::resolve_addresses;
use wasip3::sockets::types::{ErrorCode, TcpSocket};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::{addr_to_wasi, family_of, ip_from_wasi, lookup_error, socket_error};
use crate::limits;
use crate::pump;
use crate::tls;
use crate::transport;

/// `asyncio.open_connection(host, port, ...)`.
pub(crate) async fn open_connection(
    host: String,
    port: u16,
    options: wit::ConnectOptions,
) -> Result<(wit::Reader, wit::Writer), Error> {
    let plan = ConnectPlan::from(&options);
    let opened = connect::open(
        limits::reader(options.limit),
        || Side::client_for(options.tls.as_ref(), Some(&host), tls::provider()),
        limits::permit,
        async {
            let socket = connect::connect(&host, port, &plan, resolve, attempt, wait_for).await?;
            Ok(transport::tcp(socket))
        },
        async |plain, side| tls::secure(plain, &side).await,
    )
    .await?;
    Ok(crate::resources(pump::start(
        opened.transport,
        limits::engine(opened.read),
        Some(opened.permit),
        None,
        pump::Home::Shared,
    )))
}

/// `wasi:sockets/ip-name-lookup`.
pub(crate) async fn resolve(host: String) -> Result<Vec<IpAddr>, Error> {
    let found = resolve_addresses(host.clone())
        .await
        .map_err(|code| lookup_error(&code, &host))?;
    Ok(found.into_iter().map(ip_from_wasi).collect())
}

/// How many turns of the host's event loop a refused socket waits for
/// before the refusal stands.
const CREATE_RETRIES: usize = 16;

/// A fresh socket for `addr`'s family. A refusal under the host's
/// connection cap may only mean that the places of sockets this component
/// closed have not been given back yet (the host frees one once its event
/// loop has seen the socket's streams end, and a client that opens its
/// next connection right after `wait_closed` gets there first): it is
/// tried again after each of a few turns of the loop.
async fn create(addr: &SocketAddr) -> Result<TcpSocket, ErrorCode> {
    let mut turns = 0;
    loop {
        match TcpSocket::create(family_of(addr)) {
            Err(ErrorCode::AccessDenied) if turns < CREATE_RETRIES => {
                turns += 1;
                wit_bindgen::yield_async().await;
            }
            created => return created,
        }
    }
}

/// One attempt: a socket of the address's family, bound to a matching
/// local address if any were given, connected to `addr`.
async fn attempt(addr: SocketAddr, local: LocalAddresses) -> Result<TcpSocket, Error> {
    let socket = create(&addr).await.map_err(|code| {
        socket_error(code).context(&format!("creating a socket for {}", py_addr(&addr)))
    })?;
    if let Some(local) = local {
        connect::bind_local(addr, &local, |candidate| {
            socket.bind(addr_to_wasi(candidate)).map_err(socket_error)
        })?;
    }
    socket
        .connect(addr_to_wasi(addr))
        .await
        .map_err(|code| socket_error(code).context(&connect_context(&addr)))?;
    Ok(socket)
}
