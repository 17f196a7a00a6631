//! Byte moves over wit-bindgen streams that both sides of `portable:streams`
//! inside a component make (the guest backend and the SDK), written once:
//!
//! * [`read_when_ready`]: a stream read that holds no buffer while it
//!   waits.

mod read;

pub use read::read_when_ready;
