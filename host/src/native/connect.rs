//! `open-connection`: resolve, check every address against the policy,
//! order the addresses, try them one after the other or staggered (happy
//! eyeballs, as asyncio does), bind the local address when asked, and bound
//! the whole by `connect-timeout`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use portable_streams_core::Error;
use portable_streams_core::attempts::{effective_interleave, interleave, py_addr, staggered_race};
use tokio::net::{TcpSocket, TcpStream};

use super::conn::{Conn, Transport};
use super::conv::{duration, family_allows, io_error, read_buffer, socket_address};
use super::limits::ConnectionCount;
use super::wit;
use crate::policy::Policy;

/// `asyncio.open_connection(host, port, ...)`.
pub(crate) async fn open_connection(
    policy: Arc<Policy>,
    count: ConnectionCount,
    host: String,
    port: u16,
    options: wit::ConnectOptions,
) -> Result<Arc<Conn>, Error> {
    // asyncio creates the StreamReader (and so checks the limit) first.
    let read = read_buffer(options.limit, &policy)?;
    if options.tls.is_some() {
        return Err(Error::Unsupported(
            "TLS is not available in this version of the host backend".into(),
        ));
    }
    let permit = count.try_permit(policy.max_connections())?;
    let connecting = connect(&policy, &host, port, &options);
    let stream = match options.connect_timeout {
        None => connecting.await?,
        Some(timeout) => tokio::time::timeout(duration(timeout), connecting)
            .await
            .map_err(|_| {
                Error::Timeout(format!(
                    "connecting to {host} port {port} took longer than {} ms",
                    timeout / 1_000_000
                ))
            })??,
    };
    Ok(Conn::start(tcp_transport(stream), read, Some(permit), None))
}

/// The transport over a connected TCP stream, with `TCP_NODELAY` set as
/// asyncio sets it.
pub(crate) fn tcp_transport(stream: TcpStream) -> Transport {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
    let peer = stream.peer_addr().ok().map(socket_address);
    let local = stream.local_addr().ok().map(socket_address);
    let (source, sink) = stream.into_split();
    Transport {
        source: Box::pin(source),
        sink: Box::pin(sink),
        peer,
        local,
    }
}

/// Resolves the target (and the local address), then tries every address.
async fn connect(
    policy: &Arc<Policy>,
    host: &str,
    port: u16,
    options: &wit::ConnectOptions,
) -> Result<TcpStream, Error> {
    let remote = resolve(host, port, options.family).await?;
    let local: Option<Arc<[SocketAddr]>> = match &options.local_address {
        None => None,
        Some((local_host, local_port)) => Some(
            resolve(local_host, *local_port, options.family)
                .await?
                .into(),
        ),
    };
    let delay = options.happy_eyeballs_delay;
    let order = interleave(
        remote,
        effective_interleave(options.interleave, delay.is_some()),
    );
    staggered_race(
        order,
        delay,
        |addr| attempt(policy.clone(), addr, local.clone()),
        |nanos| tokio::time::sleep(duration(nanos)),
    )
    .await
}

/// Every address of `host` that `family` admits, in resolver order without
/// duplicates; none at all is `name-unresolvable`.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    family: wit::AddressFamily,
) -> Result<Vec<SocketAddr>, Error> {
    let found: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Error::NameUnresolvable(format!("{host}: {e}")))?
            .map(|addr| addr.ip())
            .collect(),
    };
    let mut admitted: Vec<SocketAddr> = Vec::with_capacity(found.len());
    for ip in found {
        let addr = SocketAddr::new(ip, port);
        if family_allows(family, &ip) && !admitted.contains(&addr) {
            admitted.push(addr);
        }
    }
    if admitted.is_empty() {
        return Err(Error::NameUnresolvable(format!(
            "{host}: no address of the requested family"
        )));
    }
    Ok(admitted)
}

/// One attempt: the policy's verdict on `addr`, then a socket of its
/// family, bound to a matching local address if any were given, connected.
async fn attempt(
    policy: Arc<Policy>,
    addr: SocketAddr,
    local: Option<Arc<[SocketAddr]>>,
) -> Result<TcpStream, Error> {
    policy.check_connect(addr)?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| io_error(&e, &format!("creating a socket for {}", py_addr(&addr))))?;
    if let Some(local) = local {
        bind_local(&policy, &socket, &addr, &local)?;
    }
    socket
        .connect(addr)
        .await
        .map_err(|e| io_error(&e, &format!("Connect call failed {}", py_addr(&addr))))
}

/// asyncio's `local_addr`: bind to the first local address of the remote
/// address's family that binds. A fixed port is a listen address to the
/// policy (port 0 is how every connect starts).
fn bind_local(
    policy: &Policy,
    socket: &TcpSocket,
    addr: &SocketAddr,
    local: &[SocketAddr],
) -> Result<(), Error> {
    let mut last = None;
    for candidate in local.iter().filter(|l| l.is_ipv4() == addr.is_ipv4()) {
        if candidate.port() != 0
            && let Err(denied) = policy.check_listen(*candidate)
        {
            last = Some(denied);
            continue;
        }
        match socket.bind(*candidate) {
            Ok(()) => return Ok(()),
            Err(e) => {
                last = Some(io_error(
                    &e,
                    &format!(
                        "error while attempting to bind on address {}",
                        py_addr(candidate)
                    ),
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
