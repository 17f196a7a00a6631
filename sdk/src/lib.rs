//! portable-streams: asyncio-style network streams for WebAssembly
//! components that import `portable:streams`.

/// The raw bindings of the `client` world, generated from the WIT contract.
pub mod bindings {
    wit_bindgen::generate!({ world: "client", path: "../wit", pub_export_macro: true });
}
