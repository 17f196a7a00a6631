//! A served handler as a hostile plugin would write one: on the line
//! `hog PORT` it opens TCP connections to 127.0.0.1:PORT straight through
//! `wasi:sockets` 0.3 until one is refused, answers `held N, then ERROR`,
//! and holds them until its client hangs up. Any other line is echoed, as a
//! well-behaved handler would.

use portable_streams::handler::Handler;
use portable_streams::{Reader, Writer};
use wasip3::sockets::types::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, TcpSocket,
};

/// More than any cap the tests set: the hog stops here at the latest.
const MOST: usize = 2_000;

/// One connection to 127.0.0.1:`port`, with its receive stream.
async fn connect(port: u16) -> Result<(TcpSocket, impl Sized), ErrorCode> {
    let socket = TcpSocket::create(IpAddressFamily::Ipv4)?;
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    });
    socket.connect(address).await?;
    let received = socket.receive();
    Ok((socket, received))
}

/// Connections until one is refused; the answer line.
async fn hog(port: u16, held: &mut Vec<Box<dyn std::any::Any>>) -> String {
    while held.len() < MOST {
        match connect(port).await {
            Ok(connection) => held.push(Box::new(connection)),
            Err(error) => return format!("held {}, then {error:?}\n", held.len()),
        }
    }
    format!("held {}, none refused\n", held.len())
}

/// The hog, or an echo.
pub struct Hostile;

impl Handler for Hostile {
    async fn handle_client(reader: Reader, writer: Writer) {
        let mut held = Vec::new();
        while let Ok(line) = reader.readline().await {
            if line.is_empty() {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            let answer = match text.trim().strip_prefix("hog ").map(str::parse) {
                Some(Ok(port)) => hog(port, &mut held).await.into_bytes(),
                _ => line,
            };
            if writer.write(&answer).is_err() || writer.drain().await.is_err() {
                break;
            }
        }
    }
}

portable_streams::export_handler!(Hostile);
