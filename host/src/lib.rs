//! portable-streams-host: portable:streams for wasmtime embedders.
//!
//! * [`native`]: the interface implemented natively on tokio TCP and Unix
//!   sockets, added to a [`wasmtime::component::Linker`] with one call;
//! * [`policy`]: the sandbox (allowed connect targets, listen addresses,
//!   Unix roots, caps), which also drives wasmtime-wasi's socket checks;
//! * [`run`]: running a command component on either backend;
//! * [`compose`]: plugging the embedded guest component into a client.

pub mod compose;
pub mod engine;
pub mod guest_component;
pub mod output;
// pub mod native; (wired once the native backing lands)
pub mod policy;
pub mod run;
pub mod state;
pub mod wasi;
