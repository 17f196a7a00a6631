//! A connected `wasi:sockets` TCP socket as a connection: its single
//! receive stream feeds the reader, a new stream handed to its single
//! `send` carries the writer's bytes.

use std::rc::Rc;

use portable_streams_core::ReadBuffer;
use wasip3::sockets::types::TcpSocket;

use crate::conn::{Conn, Parts, Sink, Source};
use crate::conv::{addr_from_wasi, addr_to_wit};
use crate::pump;
use crate::signal::Signal;

/// Turns a connected socket into a connection and starts its pump in the
/// current task. `on_closed` is notified when the connection closes.
pub(crate) fn connection(
    socket: TcpSocket,
    read: ReadBuffer,
    on_closed: Option<Rc<Signal>>,
) -> Rc<Conn> {
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
    let conn = Conn::new(Parts {
        read,
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
        on_closed,
    });
    pump::spawn(conn.clone());
    conn
}
