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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let host = args.get(1).map_or("127.0.0.1", String::as_str);
    let port = match args.get(2).map_or(Ok(8888), |p| p.parse::<u16>()) {
        Ok(port) => port,
        Err(_) => {
            eprintln!("error: PORT must be a number from 0 to 65535");
            std::process::exit(2);
        }
    };
    let message = args.get(3).map_or("Hello World!", String::as_str);
    if let Err(err) = portable_streams::block_on(tcp_echo_client(host, port, message)) {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
