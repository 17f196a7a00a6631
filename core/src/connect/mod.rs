//! asyncio's `open_connection` / `create_connection` pipeline, once for
//! every backend: resolve → admit (family, the address really reached) →
//! order (`interleave`) → staggered race (`happy_eyeballs_delay`) with
//! `local_addr` binding, all bounded by the connect timeout.
//!
//! A backend supplies three closures over neutral types: how to resolve a
//! name, how to make one attempt (its own sockets, its policy check), and
//! how to sleep. It decides nothing else.
//!
//! Around it, `open.rs` holds the order of `open_connection`'s steps (the
//! reader, the TLS options, the cap, connecting, the handshake), for TCP
//! and Unix sockets alike.

mod address;
mod open;
mod race;

use std::future::{Future, poll_fn};
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

pub use address::{
    Family, bind_context, bind_targets, connect_context, connect_targets, is_wildcard, numeric,
    reached, unresolvable, wildcard,
};
pub use open::{Opened, open};
pub use race::{effective_interleave, interleave, most_specific, py_addr, staggered_race};

use crate::Error;

/// The options of `open_connection` that the pipeline carries out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectPlan {
    /// `family=`.
    pub family: Family,
    /// `local_addr=(host, port)`.
    pub local_address: Option<(String, u16)>,
    /// `happy_eyeballs_delay`, in nanoseconds.
    pub happy_eyeballs_delay: Option<u64>,
    /// `interleave`.
    pub interleave: Option<u32>,
    /// A bound on the whole connect, in nanoseconds.
    pub connect_timeout: Option<u64>,
}

/// The local addresses an attempt binds to first (asyncio's `local_addr`).
pub type LocalAddresses = Option<Arc<[SocketAddr]>>;

/// Connects to `host`:`port` as asyncio does. `resolve` looks up a name
/// (numeric hosts never reach it), `attempt` makes one connection attempt
/// to a remote address (binding one of the local addresses first, with
/// [`bind_local`]), `sleep` waits that many nanoseconds.
///
/// Cancellation: dropping the future cancels every running attempt.
pub async fn connect<T, R, RF, A, AF, S, SF>(
    host: &str,
    port: u16,
    plan: &ConnectPlan,
    resolve: R,
    attempt: A,
    sleep: S,
) -> Result<T, Error>
where
    R: Fn(String) -> RF,
    RF: Future<Output = Result<Vec<IpAddr>, Error>>,
    A: FnMut(SocketAddr, LocalAddresses) -> AF,
    AF: Future<Output = Result<T, Error>>,
    S: Fn(u64) -> SF,
    SF: Future<Output = ()>,
{
    let mut attempt = attempt;
    let connecting = async {
        let remote = connect_targets(host, lookup(host, &resolve).await?, plan.family, port)?;
        let local: LocalAddresses = match &plan.local_address {
            None => None,
            Some((local_host, local_port)) => {
                let found = lookup(local_host, &resolve).await?;
                Some(bind_targets(local_host, found, plan.family, *local_port)?.into())
            }
        };
        let delay = plan.happy_eyeballs_delay;
        let order = interleave(
            remote,
            effective_interleave(plan.interleave, delay.is_some()),
        );
        staggered_race(order, delay, |addr| attempt(addr, local.clone()), &sleep).await
    };
    bounded(
        &format!("{host} port {port}"),
        plan.connect_timeout,
        connecting,
        &sleep,
    )
    .await
}

/// `connecting` (to `target`, as the error names it), bounded by
/// `timeout` nanoseconds when there is one: past it, the `timeout` error
/// "connecting to TARGET took longer than N ms". Written once for TCP
/// (`host port N`) and Unix (the path) connects.
///
/// Cancellation: dropping the future drops `connecting`.
pub async fn bounded<T, S, SF>(
    target: &str,
    timeout: Option<u64>,
    connecting: impl Future<Output = Result<T, Error>>,
    sleep: S,
) -> Result<T, Error>
where
    S: Fn(u64) -> SF,
    SF: Future<Output = ()>,
{
    let Some(timeout) = timeout else {
        return connecting.await;
    };
    let mut connecting = pin!(connecting);
    let mut expired = pin!(sleep(timeout));
    poll_fn(|cx| {
        if let Poll::Ready(result) = connecting.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        expired.as_mut().poll(cx).map(|()| {
            Err(Error::Timeout(format!(
                "connecting to {target} took longer than {} ms",
                timeout / 1_000_000
            )))
        })
    })
    .await
}

/// `host`'s addresses: a numeric host as it is, a name through `resolve`.
pub async fn lookup<R, RF>(host: &str, resolve: &R) -> Result<Vec<IpAddr>, Error>
where
    R: Fn(String) -> RF,
    RF: Future<Output = Result<Vec<IpAddr>, Error>>,
{
    match numeric(host) {
        Some(ip) => Ok(vec![ip]),
        None => resolve(host.to_owned()).await,
    }
}

/// The addresses `start_server` binds: the wildcard addresses for no host
/// (or an empty one), else every address of every host, in order, each
/// once.
pub async fn listen_targets<R, RF>(
    hosts: &[String],
    port: u16,
    family: Family,
    resolve: &R,
) -> Result<Vec<SocketAddr>, Error>
where
    R: Fn(String) -> RF,
    RF: Future<Output = Result<Vec<IpAddr>, Error>>,
{
    let mut out = if is_wildcard(hosts) {
        wildcard(family, port)
    } else {
        Vec::new()
    };
    for host in hosts.iter().filter(|h| !h.is_empty()) {
        for addr in bind_targets(host, lookup(host, resolve).await?, family, port)? {
            if !out.contains(&addr) {
                out.push(addr);
            }
        }
    }
    Ok(out)
}

/// asyncio's `local_addr`: binds with `bind` to the first local address of
/// `remote`'s family that binds; each failure gets asyncio's context, the
/// last one is reported.
pub fn bind_local<B>(
    remote: SocketAddr,
    local: &[SocketAddr],
    mut bind: impl FnMut(SocketAddr) -> Result<B, Error>,
) -> Result<B, Error> {
    let mut last = None;
    for candidate in local.iter().filter(|l| l.is_ipv4() == remote.is_ipv4()) {
        match bind(*candidate) {
            Ok(bound) => return Ok(bound),
            Err(error) => last = Some(error.context(&bind_context(candidate))),
        }
    }
    Err(last.unwrap_or_else(|| {
        let family = if remote.is_ipv4() {
            "AF_INET"
        } else {
            "AF_INET6"
        };
        Error::AddressNotAvailable(format!(
            "no matching local address with family={family} found"
        ))
    }))
}
