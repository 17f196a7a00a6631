//! portable-streams-host: portable:streams for wasmtime embedders.
//!
//! * [`policy`]: the sandbox (allowed connect targets, listen addresses,
//!   Unix roots, caps), which also drives wasmtime-wasi's socket checks;
//! * [`run`]: running a command component on either backend;
//! * [`compose`]: plugging the embedded guest component into a client;
//! * [`serve`]: serving a handler component, sized by [`system`]'s limits.

pub mod compose;
pub mod engine;
pub mod guest_component;
pub mod limits;
pub mod native;
pub mod output;
pub mod policy;
pub mod run;
pub mod serve;
pub mod sockets;
pub mod state;
pub mod system;
pub mod wasi;
