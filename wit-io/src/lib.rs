//! Byte moves over wit-bindgen streams that both sides of `portable:streams`
//! inside a component make (the guest backend and the SDK), written once:
//!
//! * [`read_when_ready`]: a stream read that holds no buffer while it
//!   waits;
//! * [`race`]: the first of two futures, the other dropped (its own
//!   cancellation rules then apply).

mod race;
mod read;

pub use race::{Either, race};
pub use read::read_when_ready;
