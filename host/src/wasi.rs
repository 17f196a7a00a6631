//! WASI contexts whose socket checks follow the same [`Policy`] as the
//! native backing, so a component composed with the guest gets the same
//! sandbox.

use std::sync::Arc;

use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use portable_streams_core::caps::env;

use crate::policy::Policy;

/// A WASI context builder with TCP and name lookup on, every socket address
/// checked against `policy`, `args` as the program's arguments, and the
/// policy's caps in the environment, where a guest backend composed into
/// the component reads them (`portable_streams_core::caps::env`).
pub fn builder(policy: Arc<Policy>, args: &[String]) -> WasiCtxBuilder {
    let mut builder = WasiCtx::builder();
    let caps = [
        (
            env::MAX_CONNECTIONS,
            policy.max_connections().map(|n| n as u64),
        ),
        (
            env::MAX_READ_BUFFER,
            policy.max_read_buffer().map(|n| n as u64),
        ),
        (env::MAX_WRITE_BUFFER, policy.max_write_buffer()),
    ];
    for (name, value) in caps {
        if let Some(value) = value {
            builder.env(name, value.to_string());
        }
    }
    builder
        .args(args)
        .allow_tcp(true)
        .allow_udp(false)
        .allow_ip_name_lookup(true)
        .socket_addr_check(move |addr, usage| {
            let allowed = match usage {
                SocketAddrUse::TcpConnect => policy.check_connect(addr).is_ok(),
                SocketAddrUse::TcpListen => policy.check_listen(addr).is_ok(),
                // An explicit or implicit bind to an ephemeral port is how a
                // connect starts; listening on it is checked on listen.
                SocketAddrUse::TcpBind => addr.port() == 0 || policy.check_listen(addr).is_ok(),
                // Clients of an allowed listener may connect.
                SocketAddrUse::TcpAccept => true,
                SocketAddrUse::UdpBind | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
                    false
                }
            };
            if !allowed {
                tracing::info!(%addr, ?usage, "socket use denied by policy");
            }
            Box::pin(async move { allowed })
        });
    builder
}
