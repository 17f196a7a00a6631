//! `raw-sockets connect PORT N` / `raw-sockets cycle PORT N` /
//! `raw-sockets listen N` / `raw-sockets relisten N` /
//! `raw-sockets abandon`: a component that
//! never imports portable:streams and opens TCP sockets straight through
//! `wasi:sockets` 0.3, to show the host's caps hold on that door too.
//!
//! `connect` connects N sockets to 127.0.0.1:PORT, taking each one's
//! receive stream, and prints how many it got and the first refusal; then
//! drops the sockets but keeps their streams (the OS sockets live on, so
//! their places stay taken) and tries one more; then drops the streams too,
//! waits a millisecond (the host frees a place once it has seen the
//! streams end, which takes a turn of its event loop) and connects N again.
//! `cycle` connects, takes both streams, drops it all and connects again,
//! N times, never waiting for anything but its connects (a client that
//! opens one connection at a time), and prints how many it made and the
//! first refusal.
//! `listen` listens on N sockets, drops them and listens on N again.
//! `relisten` listens on one port, then N times drops the socket and its
//! accept stream and listens on the same port again, trying each bind
//! again after a millisecond while it is `address-in-use`, for up to two
//! seconds, and prints how many it made.
//! `abandon` listens, connects a client to itself that it never accepts,
//! drops the listener and its accept stream, and then tries to create a
//! socket every millisecond for up to two seconds: under a cap of two
//! connections that succeeds once the host has freed the place of the
//! connection it accepted for the dropped listener.

use wasip3::sockets::types::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, TcpSocket,
};

fn loopback(port: u16) -> IpSocketAddress {
    IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    })
}

/// One socket connected to 127.0.0.1:`port`, with its receive stream.
async fn connect(port: u16) -> Result<(TcpSocket, impl Sized), ErrorCode> {
    let socket = TcpSocket::create(IpAddressFamily::Ipv4)?;
    socket.connect(loopback(port)).await?;
    let received = socket.receive();
    Ok((socket, received))
}

/// Up to `n` connections; the line that says how many and why no more.
async fn connect_many<S>(port: u16, n: usize, held: &mut Vec<S>) -> String
where
    S: From<(TcpSocket, Box<dyn std::any::Any>)>,
{
    let mut refusal = String::from("none refused");
    for _ in 0..n {
        match connect(port).await {
            Ok((socket, stream)) => held.push(S::from((socket, Box::new(stream)))),
            Err(error) => {
                refusal = format!("then {error:?}");
                break;
            }
        }
    }
    format!("connected {} of {n}, {refusal}", held.len())
}

/// A connection as held: the socket and its receive stream.
struct Held {
    socket: Option<TcpSocket>,
    _stream: Box<dyn std::any::Any>,
}

impl From<(TcpSocket, Box<dyn std::any::Any>)> for Held {
    fn from((socket, stream): (TcpSocket, Box<dyn std::any::Any>)) -> Self {
        Held {
            socket: Some(socket),
            _stream: stream,
        }
    }
}

async fn connect_mode(port: u16, n: usize) {
    let mut held: Vec<Held> = Vec::new();
    println!("{}", connect_many(port, n, &mut held).await);
    for h in &mut held {
        h.socket = None;
    }
    let mut more: Vec<Held> = Vec::new();
    println!(
        "sockets dropped, streams kept: {}",
        connect_many(port, 1, &mut more).await
    );
    drop(more);
    drop(held);
    wasip3::clocks::monotonic_clock::wait_for(1_000_000).await;
    let mut again: Vec<Held> = Vec::new();
    println!("all dropped: {}", connect_many(port, n, &mut again).await);
}

/// One connection made, with both its streams, and dropped.
async fn cycle_once(port: u16) -> Result<(), ErrorCode> {
    let (socket, received) = connect(port).await?;
    let (to_send, sent) = wasip3::wit_stream::new::<u8>();
    let send_end = socket.send(sent);
    drop((socket, received, to_send, send_end));
    Ok(())
}

async fn cycle_mode(port: u16, n: usize) {
    let mut refusal = String::from("none refused");
    let mut made = 0;
    for _ in 0..n {
        if let Err(error) = cycle_once(port).await {
            refusal = format!("then {error:?}");
            break;
        }
        made += 1;
    }
    println!("cycled {made} of {n}, {refusal}");
}

/// Up to `n` listening sockets on 127.0.0.1, each with its accept stream.
fn listen_many(n: usize, held: &mut Vec<(TcpSocket, Box<dyn std::any::Any>)>) -> String {
    let mut refusal = String::from("none refused");
    for _ in 0..n {
        match listen_on(0) {
            Ok((socket, accepted)) => held.push((socket, Box::new(accepted))),
            Err(error) => {
                refusal = format!("then {error:?}");
                break;
            }
        }
    }
    format!("listening on {} of {n}, {refusal}", held.len())
}

fn listen_mode(n: usize) {
    let mut held = Vec::new();
    println!("{}", listen_many(n, &mut held));
    drop(held);
    let mut again = Vec::new();
    println!("all dropped: {}", listen_many(n, &mut again));
}

/// A socket listening on 127.0.0.1:`port`, with its accept stream.
fn listen_on(port: u16) -> Result<(TcpSocket, impl Sized), ErrorCode> {
    let socket = TcpSocket::create(IpAddressFamily::Ipv4)?;
    socket.bind(loopback(port))?;
    let accepted = socket.listen()?;
    Ok((socket, accepted))
}

/// The port `socket` listens on.
fn port_of(socket: &TcpSocket) -> u16 {
    match socket.get_local_address() {
        Ok(IpSocketAddress::Ipv4(addr)) => addr.port,
        other => panic!("local address: {other:?}"),
    }
}

/// How many milliseconds a failing call is tried again for.
const PATIENCE_MS: usize = 2000;

/// `attempt`, tried again each millisecond while it fails with an error
/// `retried` accepts, for up to [`PATIENCE_MS`]: its last result and how
/// many milliseconds were waited.
async fn every_ms_while<T>(
    retried: impl Fn(&ErrorCode) -> bool,
    mut attempt: impl FnMut() -> Result<T, ErrorCode>,
) -> (Result<T, ErrorCode>, usize) {
    let mut waited = 0;
    loop {
        match attempt() {
            Err(error) if waited < PATIENCE_MS && retried(&error) => {
                waited += 1;
                wasip3::clocks::monotonic_clock::wait_for(1_000_000).await;
            }
            result => return (result, waited),
        }
    }
}

async fn relisten_mode(n: usize) {
    let mut listening = listen_on(0).expect("a first listener");
    let port = port_of(&listening.0);
    let mut made = 0;
    let mut outcome = String::from("none failed");
    for _ in 0..n {
        drop(listening);
        let in_use = |error: &ErrorCode| matches!(error, ErrorCode::AddressInUse);
        listening = match every_ms_while(in_use, || listen_on(port)).await {
            (Ok(again), _) => again,
            (Err(error), waited) => {
                outcome = format!("then {error:?} after {waited} ms");
                break;
            }
        };
        made += 1;
    }
    println!("relistened {made} of {n}, {outcome}");
}

async fn abandon_mode() {
    let listening = listen_on(0).expect("a listener");
    let _client = connect(port_of(&listening.0))
        .await
        .expect("a client of the listener");
    // Long enough for the host to accept the client in the background.
    wasip3::clocks::monotonic_clock::wait_for(20_000_000).await;
    drop(listening);
    let created = || TcpSocket::create(IpAddressFamily::Ipv4);
    match every_ms_while(|_| true, created).await {
        (Ok(_), _) => println!("a place is free again"),
        (Err(_), waited) => println!("still refused after {waited} ms"),
    }
}

struct Run;

impl wasip3::exports::cli::run::Guest for Run {
    async fn run() -> Result<(), ()> {
        let args: Vec<String> = std::env::args().collect();
        let number = |i: usize| args.get(i).and_then(|a| a.parse().ok());
        match (args.get(1).map(String::as_str), number(2), number(3)) {
            (Some("connect"), Some(port), Some(n)) => connect_mode(port as u16, n).await,
            (Some("cycle"), Some(port), Some(n)) => cycle_mode(port as u16, n).await,
            (Some("listen"), Some(n), _) => listen_mode(n),
            (Some("relisten"), Some(n), _) => relisten_mode(n).await,
            (Some("abandon"), _, _) => abandon_mode().await,
            _ => {
                eprintln!(
                    "usage: raw-sockets connect PORT N | cycle PORT N | listen N | relisten N | abandon"
                );
                return Err(());
            }
        }
        Ok(())
    }
}

wasip3::cli::command::export!(Run);
