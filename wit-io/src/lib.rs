//! Byte moves over wit-bindgen streams that both sides of `portable:streams`
//! inside a component make (the guest backend and the SDK), written once:
//!
//! * [`read_when_ready`]: a stream read that holds no buffer while it
//!   waits;
//! * [`Guarded`]: a stream read or write whose outcome is never lost, also
//!   when it is cancelled or dropped unfinished.

mod guarded;
mod read;

pub use guarded::{Cancellable, Guarded};
pub use read::read_when_ready;
