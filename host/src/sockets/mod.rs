//! Every TCP socket a component holds, under one account per store: the
//! native backing's, and those it opens itself through `wasi:sockets`
//! (0.3 in [`p3`], 0.2 in [`p2`]), which is also how a guest backend
//! composed into it connects. The policy's connection and listener caps
//! hold whatever door a socket came through.

mod account;
pub mod p2;
pub mod p3;
mod relay;
mod wake;
mod watch;

pub use account::{
    Hold, Place, RAW_SOCKET_BYTES, SocketAccount, SocketLedger, SocketLedgerView, granted,
};
