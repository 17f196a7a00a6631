//! A Unix-socket echo: `unix-echo PATH [MESSAGE]` starts a server at PATH,
//! connects to it, sends MESSAGE and prints the echo (host backend only:
//! wasi:sockets has no Unix sockets).

use portable_streams::{Error, Reader, Writer, open_unix_connection, start_unix_server};

async fn echo(reader: Reader, writer: Writer) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        println!("[server] Received {:?}", String::from_utf8_lossy(&line));
        if writer.write(&line).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
}

async fn unix_echo(path: &str, message: &str) -> Result<(), Error> {
    let server = start_unix_server(echo, path).await?;
    println!("[server] Serving on {path}");
    let (reader, writer) = open_unix_connection(path).await?;
    println!("[client] Send: {message:?}");
    writer.write(format!("{message}\n").as_bytes())?;
    writer.drain().await?;
    let reply = reader.readline().await?;
    println!("[client] Received: {:?}", String::from_utf8_lossy(&reply));
    writer.close();
    writer.wait_closed().await?;
    server.close();
    server.wait_closed().await;
    Ok(())
}

async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: unix-echo PATH [MESSAGE]")?;
    let message = args.get(2).map_or("Hello World!", String::as_str);
    unix_echo(path, message).await.map_err(|e| e.to_string())
}

portable_streams::main!(main);
