//! Transports: a connected `wasi:sockets` TCP socket (its single receive
//! stream feeds the reader, a new stream handed to its single `send`
//! carries the writer's bytes), made into a running connection.

use std::rc::Rc;

use portable_streams_core::ReadBuffer;
use wasip3::sockets::types::TcpSocket;

use crate::conn::{Conn, Sink, Source, Transport};
use crate::conv::{addr_from_wasi, addr_to_wit};
use crate::pump;
use crate::signal::Signal;

/// The transport over a connected socket.
pub(crate) fn tcp(socket: TcpSocket) -> Transport {
    let peername = socket
        .get_remote_address()
        .ok()
        .map(|a| addr_to_wit(addr_from_wasi(a)));
    let sockname = socket
        .get_local_address()
        .ok()
        .map(|a| addr_to_wit(addr_from_wasi(a)));
    let (received, receive_end) = socket.receive();
    let (to_send, sent) = wasip3::wit_stream::new::<u8>();
    let send_end = socket.send(sent);
    Transport {
        source: Source {
            stream: Some(received),
            end: Some(receive_end),
        },
        sink: Sink {
            stream: to_send,
            end: Some(send_end),
        },
        info: (peername, sockname),
        socket: Some(socket),
    }
}

/// A connection over `transport`, its pump started in the current task.
/// `on_closed` is notified when the connection closes.
pub(crate) fn start(
    transport: Transport,
    read: ReadBuffer,
    on_closed: Option<Rc<Signal>>,
) -> Rc<Conn> {
    let conn = Conn::new(transport, read, on_closed);
    pump::spawn(conn.clone());
    conn
}
