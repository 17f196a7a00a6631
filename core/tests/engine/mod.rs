//! Driving the connection engine by hand in tests: a connection, bytes
//! arriving, and the steps a read call and the pump are told to take.

use bytes::{BufMut, Bytes};
use portable_streams_core::{Connection, Error, PumpStep, ReadBuffer, ReadCall, ReadStep};

/// A connection whose reader has `limit`.
pub fn conn(limit: usize) -> Connection {
    Connection::new(ReadBuffer::new(limit).unwrap())
}

/// Delivers `data` as one transport read, as a backend does after
/// `ReadStep::Receive`.
pub fn arrive(c: &mut Connection, data: &[u8]) {
    c.receive_with(data.len(), |room| room.put_slice(data));
}

/// The chunk the pump's next step sends.
pub fn pump_send(c: &mut Connection) -> Bytes {
    match c.pump_step() {
        PumpStep::Send(bytes) => bytes,
        other => panic!("expected a send, got {other:?}"),
    }
}

/// The next step of `call`.
pub fn step(c: &mut Connection, call: &mut ReadCall) -> ReadStep {
    c.poll_read(call)
}

/// The result `call` finishes with now.
pub fn done(c: &mut Connection, call: &mut ReadCall) -> Result<Bytes, Error> {
    match step(c, call) {
        ReadStep::Done(result) => result,
        other => panic!("expected the call to finish, got {other:?}"),
    }
}
