//! TCP echo server (the asyncio streams documentation's second example):
//! `tcp-echo-server [HOST] [PORT] [--max-clients N]`, default 127.0.0.1
//! 8888. With `--max-clients N` it stops after serving N clients.

use std::cell::Cell;
use std::rc::Rc;

use portable_streams::{Error, Reader, SocketAddress, Writer, start_server};

async fn handle_echo(reader: Reader, writer: Writer) -> Result<(), Error> {
    let data = reader.read(100).await?;
    let message = String::from_utf8_lossy(&data);
    let addr = match writer.peername() {
        Some(SocketAddress::Ip(a)) => format!("('{}', {})", a.ip(), a.port()),
        Some(SocketAddress::Unix(p)) => format!("{p:?}"),
        None => "unknown".into(),
    };
    println!("Received {message:?} from {addr}");
    println!("Send: {message:?}");
    writer.write(&data)?;
    writer.drain().await?;
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await
}

async fn main_async(host: &str, port: u16, max_clients: Option<u32>) -> Result<(), Error> {
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
    let listening = Rc::new(start_server(handler, host, port).await?);
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

async fn main() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut max_clients = None;
    if let Some(i) = args.iter().position(|a| a == "--max-clients") {
        let n = args.get(i + 1).and_then(|n| n.parse().ok());
        max_clients = Some(n.ok_or("--max-clients takes a number")?);
        args.drain(i..i + 2);
    }
    let host = args.first().map_or("127.0.0.1", String::as_str);
    let port = args.get(1).map_or(Ok(8888), |p| p.parse::<u16>());
    let port = port.map_err(|_| "PORT must be a number from 0 to 65535".to_owned())?;
    main_async(host, port, max_clients)
        .await
        .map_err(|e| e.to_string())
}

portable_streams::main!(main);
