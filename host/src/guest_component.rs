//! The guest component (portable:streams over wasi:sockets), embedded.

/// The guest component's bytes, built for wasm32-wasip2 at build time.
pub const GUEST_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest.wasm"));
