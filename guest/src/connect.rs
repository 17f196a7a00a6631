//! `open-connection`: resolve, order the addresses, try them one after the
//! other or staggered (happy eyeballs, RFC 8305 as asyncio does it), bind
//! the local address when asked, bound the whole by `connect-timeout`.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use portable_streams_core::{Error, ReadBuffer};
use wasip3::clocks::monotonic_clock::wait_for;
use wasip3::sockets::types::TcpSocket;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::{addr_to_wasi, family_of, limit, py_addr, socket_error};
use portable_streams_core::attempts::{effective_interleave, interleave, most_specific};
use crate::resolve::resolve;
use crate::signal::{Either, race};
use crate::tcp;

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

type Pending<T> = Pin<Box<dyn Future<Output = T>>>;

/// asyncio's `staggered_race`: start the first attempt; start the next one
/// when the running one fails or, with a `delay`, when the delay passed
/// since the last start. The first success wins (the others are dropped,
/// which cancels them); if all fail, the most specific error is reported.
async fn staggered(
    addrs: Vec<SocketAddr>,
    local: Option<Rc<[SocketAddr]>>,
    delay: Option<u64>,
) -> Result<TcpSocket, Error> {
    let mut errors: Vec<Option<Error>> = addrs.iter().map(|_| None).collect();
    let mut running: Vec<(usize, Pending<Result<TcpSocket, Error>>)> = Vec::new();
    let mut timer: Option<Pending<()>> = None;
    let mut next = 0;
    let mut start = true;
    poll_fn(move |cx| {
        loop {
            if start && next < addrs.len() {
                running.push((next, Box::pin(attempt(addrs[next], local.clone()))));
                next += 1;
                timer = match delay {
                    Some(delay) if next < addrs.len() => Some(Box::pin(wait_for(delay))),
                    _ => None,
                };
            }
            start = false;
            let mut i = 0;
            while i < running.len() {
                match running[i].1.as_mut().poll(cx) {
                    Poll::Ready(Ok(socket)) => return Poll::Ready(Ok(socket)),
                    Poll::Ready(Err(error)) => {
                        let (index, _) = running.remove(i);
                        errors[index] = Some(error);
                        start = true;
                    }
                    Poll::Pending => i += 1,
                }
            }
            if let Some(t) = timer.as_mut()
                && t.as_mut().poll(cx).is_ready()
            {
                timer = None;
                start = true;
            }
            if start && next < addrs.len() {
                continue;
            }
            if running.is_empty() {
                let errors = std::mem::take(&mut errors).into_iter().flatten().collect();
                return Poll::Ready(Err(most_specific(errors)));
            }
            return Poll::Pending;
        }
    })
    .await
}
