//! The asyncio documentation's echo pair over TLS (`ssl=`), as one
//! component with two modes:
//!
//! * `tls-echo server HOST PORT CHAIN_PEM KEY_PEM [--max-clients N]`:
//!   serves TLS clients, echoing one message each (port 0 picks one);
//! * `tls-echo client HOST PORT CA_PEM [MESSAGE]`: sends MESSAGE (default
//!   "Hello World!") over TLS, verifying the server against CA_PEM.
//!
//! The PEM arguments are the PEM text itself (e.g. `"$(cat ca.pem)"`).

use std::cell::Cell;
use std::rc::Rc;

use portable_streams::{
    ClientTls, ConnectOptions, Error, Reader, ServerOptions, ServerTls, SocketAddress, Writer,
    open_connection_with, start_server_with,
};

async fn client(host: &str, port: u16, ca: String, message: &str) -> Result<(), Error> {
    let options = ConnectOptions::new().tls(ClientTls::new().add_root_certificate(ca));
    let (reader, writer) = open_connection_with(host, port, options).await?;
    if let Some(tls) = writer.tls() {
        println!("TLS: {} {}", tls.protocol_version, tls.cipher);
    }
    println!("Send: {message:?}");
    writer.write(message.as_bytes())?;
    writer.drain().await?;
    let data = reader.read(100).await?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await
}

async fn handle_echo(reader: Reader, writer: Writer) -> Result<(), Error> {
    let data = reader.read(100).await?;
    let message = String::from_utf8_lossy(&data);
    println!("Received {message:?} over TLS");
    writer.write(&data)?;
    writer.drain().await?;
    writer.close();
    writer.wait_closed().await
}

async fn server(
    host: &str,
    port: u16,
    tls: ServerTls,
    max_clients: Option<u32>,
) -> Result<(), Error> {
    let served = Rc::new(Cell::new(0u32));
    let server = Rc::new(Cell::new(None::<Rc<portable_streams::Server>>));
    let handler = {
        let (served, server) = (served.clone(), server.clone());
        move |reader, writer| {
            let (served, server) = (served.clone(), server.clone());
            async move {
                if let Err(err) = handle_echo(reader, writer).await {
                    eprintln!("client failed: {err}");
                }
                served.set(served.get() + 1);
                if Some(served.get()) == max_clients
                    && let Some(s) = server.take()
                {
                    s.close();
                }
            }
        }
    };
    let options = ServerOptions::new().tls(tls);
    let listening = Rc::new(start_server_with(handler, &[host], port, options).await?);
    server.set(Some(listening.clone()));
    let addrs: Vec<String> = listening
        .sockets()
        .iter()
        .map(|s| match s {
            SocketAddress::Ip(a) => format!("('{}', {})", a.ip(), a.port()),
            SocketAddress::Unix(p) => format!("{p:?}"),
        })
        .collect();
    println!("Serving on {}", addrs.join(", "));
    listening.serve_forever().await;
    listening.wait_closed().await;
    Ok(())
}

const USAGE: &str = "usage: tls-echo server HOST PORT CHAIN_PEM KEY_PEM [--max-clients N] \
                     | tls-echo client HOST PORT CA_PEM [MESSAGE]";

async fn main() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut max_clients = None;
    if let Some(i) = args.iter().position(|a| a == "--max-clients") {
        let n = args.get(i + 1).and_then(|n| n.parse().ok());
        max_clients = Some(n.ok_or("--max-clients takes a number")?);
        args.drain(i..i + 2);
    }
    let (mode, host, port) = match &args[..] {
        [mode, host, port, ..] => (mode.as_str(), host.as_str(), port),
        _ => return Err(USAGE.into()),
    };
    let port: u16 = port
        .parse()
        .map_err(|_| "PORT must be a number from 0 to 65535".to_owned())?;
    let outcome = match (mode, &args[3..]) {
        ("server", [chain, key]) => {
            let tls = ServerTls::new(chain.clone(), key.clone());
            server(host, port, tls, max_clients).await
        }
        ("client", [ca]) => client(host, port, ca.clone(), "Hello World!").await,
        ("client", [ca, message]) => client(host, port, ca.clone(), message).await,
        _ => return Err(USAGE.into()),
    };
    outcome.map_err(|e| e.to_string())
}

portable_streams::main!(main);
