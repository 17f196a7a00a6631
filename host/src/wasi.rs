//! WASI contexts whose socket checks follow the same [`Policy`] as the
//! native backing, so a component composed with the guest gets the same
//! sandbox.

use std::sync::Arc;

use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use portable_streams_core::caps::env;

use crate::policy::{NetworkUse, Policy};
use crate::sockets::SocketAccount;

/// A WASI context builder with TCP and name lookup on, every socket address
/// checked against `policy`, `args` as the program's arguments, and the
/// policy's caps in the environment, where a guest backend composed into
/// the component reads them (`portable_streams_core::caps::env`). A
/// connection `wasi:sockets` accepts takes its place in `account` (the
/// store's), or is reset when the connection cap is reached.
pub fn builder(policy: Arc<Policy>, args: &[String], account: &SocketAccount) -> WasiCtxBuilder {
    let account = account.clone();
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
        (env::MAX_BUFFERED, policy.max_buffered()),
        (env::MAX_LISTENERS, policy.max_listeners().map(|n| n as u64)),
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
        // The same check as every other name: names are worth resolving
        // only for a component that may connect or listen somewhere.
        .allow_ip_name_lookup(policy.check(NetworkUse::Resolve("")).is_ok())
        .socket_addr_check(move |addr, usage| {
            if matches!(usage, SocketAddrUse::TcpAccept) && account.admit_wake(addr) {
                return Box::pin(async { true });
            }
            let network_use = match usage {
                SocketAddrUse::TcpConnect => NetworkUse::Connect(addr),
                SocketAddrUse::TcpListen => NetworkUse::Listen(addr),
                SocketAddrUse::TcpBind => NetworkUse::Bind(addr),
                SocketAddrUse::TcpAccept => NetworkUse::Accept(addr),
                SocketAddrUse::UdpBind | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
                    NetworkUse::Udp(addr)
                }
            };
            let verdict = policy.check(network_use);
            if let Err(denied) = &verdict {
                tracing::info!(%addr, ?usage, "{denied}");
            }
            let mut allowed = verdict.is_ok();
            if allowed && matches!(usage, SocketAddrUse::TcpAccept) && !account.admit_accepted() {
                allowed = false;
            }
            Box::pin(async move { allowed })
        });
    builder
}
