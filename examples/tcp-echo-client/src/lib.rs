//! TCP echo client (the asyncio streams documentation's first example):
//! `tcp-echo-client [HOST] [PORT] [MESSAGE]`, default 127.0.0.1 8888
//! "Hello World!".

use portable_streams::{Error, open_connection};

async fn tcp_echo_client(host: &str, port: u16, message: &str) -> Result<(), Error> {
    let (reader, writer) = open_connection(host, port).await?;
    println!("Send: {message:?}");
    writer.write(message.as_bytes())?;
    writer.drain().await?;
    let data = reader.read(100).await?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await
}

async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(1).map_or("127.0.0.1", String::as_str);
    let port = args.get(2).map_or(Ok(8888), |p| p.parse::<u16>());
    let port = port.map_err(|_| "PORT must be a number from 0 to 65535".to_owned())?;
    let message = args.get(3).map_or("Hello World!", String::as_str);
    tcp_echo_client(host, port, message)
        .await
        .map_err(|e| e.to_string())
}

portable_streams::main!(main);
