//! `open-connection`: resolve, order the addresses, try them one after the
//! other or staggered (happy eyeballs, RFC 8305 as asyncio does it), bind
//! the local address when asked, bound the whole by `connect-timeout`.

use std::net::SocketAddr;
use std::rc::Rc;

use portable_streams_core::{Error, ReadBuffer};
use wasip3::clocks::monotonic_clock::wait_for;
use wasip3::sockets::types::TcpSocket;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::{addr_to_wasi, family_of, limit, py_addr, socket_error};
use crate::resolve::resolve;
use crate::signal::{Either, race};
use crate::tcp;
use portable_streams_core::attempts::{effective_interleave, interleave, staggered_race};

/// `asyncio.open_connection(host, port, ...)`.
pub(crate) async fn open_connection(
    host: String,
    port: u16,
    options: wit::ConnectOptions,
) -> Result<(wit::Reader, wit::Writer), Error> {
    // asyncio creates the StreamReader (and so checks the limit) first.
    let read = ReadBuffer::with_limit(limit(options.limit))?;
    if options.tls.is_some() {
        return Err(Error::Unsupported(
            "TLS is not available on the wasi:sockets backend (wasi:sockets has no TLS); \
             use the host backend"
                .into(),
        ));
    }
    let socket = match options.connect_timeout {
        None => connect(&host, port, &options).await?,
        Some(timeout) => match race(connect(&host, port, &options), wait_for(timeout)).await {
            Either::Left(result) => result?,
            Either::Right(()) => {
                return Err(Error::Timeout(format!(
                    "connecting to {host} port {port} took longer than {} ms",
                    timeout / 1_000_000
                )));
            }
        },
    };
    Ok(crate::resources(tcp::connection(socket, read, None)))
}

/// Resolves the target (and the local address), then tries every address.
async fn connect(host: &str, port: u16, options: &wit::ConnectOptions) -> Result<TcpSocket, Error> {
    let remote: Vec<SocketAddr> = resolve(host, options.family)
        .await?
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    let local: Option<Rc<[SocketAddr]>> = match &options.local_address {
        None => None,
        Some((local_host, local_port)) => Some(
            resolve(local_host, options.family)
                .await?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, *local_port))
                .collect(),
        ),
    };
    let delay = options.happy_eyeballs_delay;
    let order = interleave(
        remote,
        effective_interleave(options.interleave, delay.is_some()),
    );
    staggered(order, local, delay).await
}

/// One attempt: a socket of the address's family, bound to a matching
/// local address if any were given, connected to `addr`.
async fn attempt(addr: SocketAddr, local: Option<Rc<[SocketAddr]>>) -> Result<TcpSocket, Error> {
    let socket = TcpSocket::create(family_of(&addr)).map_err(|code| {
        socket_error(
            &code,
            Some(&format!("creating a socket for {}", py_addr(&addr))),
        )
    })?;
    if let Some(local) = local {
        bind_local(&socket, &addr, &local)?;
    }
    socket.connect(addr_to_wasi(addr)).await.map_err(|code| {
        socket_error(
            &code,
            Some(&format!("Connect call failed {}", py_addr(&addr))),
        )
    })?;
    Ok(socket)
}

/// asyncio's `local_addr`: bind to the first local address of the remote
/// address's family that binds.
fn bind_local(socket: &TcpSocket, addr: &SocketAddr, local: &[SocketAddr]) -> Result<(), Error> {
    let mut last = None;
    for candidate in local.iter().filter(|l| l.is_ipv4() == addr.is_ipv4()) {
        match socket.bind(addr_to_wasi(*candidate)) {
            Ok(()) => return Ok(()),
            Err(code) => {
                last = Some(socket_error(
                    &code,
                    Some(&format!(
                        "error while attempting to bind on address {}",
                        py_addr(candidate)
                    )),
                ));
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        let family = if addr.is_ipv4() {
            "AF_INET"
        } else {
            "AF_INET6"
        };
        Error::AddressNotAvailable(format!(
            "no matching local address with family={family} found"
        ))
    }))
}

/// asyncio's `staggered_race` over the wasi:sockets attempts.
async fn staggered(
    addrs: Vec<SocketAddr>,
    local: Option<Rc<[SocketAddr]>>,
    delay: Option<u64>,
) -> Result<TcpSocket, Error> {
    staggered_race(addrs, delay, |addr| attempt(addr, local.clone()), wait_for).await
}
