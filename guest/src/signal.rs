//! What tasks wait on: core's [`Signal`], and racing two futures (the
//! helpers this backend shares with the SDK).

pub(crate) use portable_streams_core::Signal;
pub(crate) use portable_streams_wit_io::{Either, race};
