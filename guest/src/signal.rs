//! What tasks wait on: core's [`Signal`] and its race of two futures
//! (runtime-neutral; core's pump loop races with it too).

pub(crate) use portable_streams_core::{Either, Signal, race};
