//! Host bindings of the `portable:streams` interface (generated).
//!
//! Every `async func` of the WIT is a concurrent host function: it gets an
//! [`Accessor`](wasmtime::component::Accessor) and waits without holding
//! the store, so a component's other tasks run meanwhile.

// Generated code: items carry the WIT's doc comments where the generator
// emits them.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "wit",
    world: "portable:streams/client",
    imports: {
        "portable:streams/streams.wrap": store | tracing | trappable,
        default: tracing | trappable,
    },
    with: {
        "portable:streams/streams.reader": crate::native::reader::Reader,
        "portable:streams/streams.writer": crate::native::writer::Writer,
        "portable:streams/streams.server": crate::native::server::Server,
        "portable:streams/streams.tls-object": crate::native::tls_object::TlsObject,
    },
});

pub use portable::streams::streams;
