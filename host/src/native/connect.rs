//! `open-connection` on tokio sockets: core's pipeline (resolve, admit,
//! order, staggered race, local binding, timeout) with this backend's
//! resolver, attempt (the policy's verdict, then a socket) and timer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use portable_streams_core::Error;
use portable_streams_core::connect::{self, ConnectPlan, LocalAddresses, connect_context};
use portable_streams_core::tls::Side;
use tokio::net::{TcpSocket, TcpStream};

use super::conn::Conn;
use super::conv::{Allowance, read_buffer};
use super::{tls, transport, wit};
use crate::policy::{NetworkUse, Policy};

/// `asyncio.open_connection(host, port, ...)`.
pub(crate) async fn open_connection(
    allowance: Allowance,
    host: String,
    port: u16,
    options: wit::ConnectOptions,
) -> Result<Arc<Conn>, Error> {
    let policy = allowance.policy.clone();
    let plan = ConnectPlan::from(&options);
    let opened = connect::open(
        read_buffer(options.limit, &policy),
        || Side::client_for(options.tls.as_ref(), Some(&host), tls::provider()),
        || allowance.count.try_permit(policy.max_connections()),
        async {
            let stream = connect::connect(
                &host,
                port,
                &plan,
                |name| resolve(policy.clone(), name),
                |addr, local| attempt(policy.clone(), addr, local),
                |nanos| tokio::time::sleep(Duration::from_nanos(nanos)),
            )
            .await?;
            Ok(transport::tcp(stream))
        },
        async |plain, side| tls::secure(plain, &side).await,
    )
    .await?;
    Ok(Conn::start(
        opened.transport,
        allowance.engine(opened.read),
        Some(opened.permit),
        None,
    ))
}

/// The system resolver, behind the policy's check.
pub(crate) async fn resolve(policy: Arc<Policy>, host: String) -> Result<Vec<IpAddr>, Error> {
    policy.check(NetworkUse::Resolve(&host))?;
    let found = tokio::net::lookup_host((host.as_str(), 0))
        .await
        .map_err(|e| gaierror(&host, &e))?;
    Ok(found.map(|addr| addr.ip()).collect())
}

/// `socket.gaierror` for `host`: the resolver's own words ("Name or
/// service not known"), as the guest gives them, without the standard
/// library's "failed to lookup address information: " before them.
fn gaierror(host: &str, error: &std::io::Error) -> Error {
    let text = error.to_string();
    let words = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text);
    connect::unresolvable(host, words)
}

/// One attempt: the policy's verdict on `addr`, then a socket of its
/// family, bound to a matching local address if any were given, connected.
async fn attempt(
    policy: Arc<Policy>,
    addr: SocketAddr,
    local: LocalAddresses,
) -> Result<TcpStream, Error> {
    policy.check(NetworkUse::Connect(addr))?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| {
        Error::from(e).context(&format!(
            "creating a socket for {}",
            connect::py_addr(&addr)
        ))
    })?;
    if let Some(local) = local {
        connect::bind_local(addr, &local, |candidate| {
            policy.check(NetworkUse::Bind(candidate))?;
            socket.bind(candidate).map_err(Error::from)
        })?;
    }
    socket
        .connect(addr)
        .await
        .map_err(|e| Error::from(e).context(&connect_context(&addr)))
}
