//! portable-streams-host: portable:streams for wasmtime embedders.
//!
//! * [`native`]: the interface implemented by the host itself on tokio
//!   TCP and Unix sockets (the native backend): [`native::add_to_linker`]
//!   and the [`native::NativeView`] seam an embedder implements;
//! * [`policy`]: the sandbox (allowed connect targets, listen addresses,
//!   Unix roots, caps), which also drives wasmtime-wasi's socket checks;
//!   [`limits`]: a component's own limits (memories, instances, time);
//! * [`sockets`]: the raw `wasi:sockets` door, counted and capped with
//!   the interface's connections;
//! * [`run`]: running a command component on either backend, in a store
//!   from [`state`] and an engine from [`engine`];
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
