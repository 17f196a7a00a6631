//! Test component: the callee of the upstream leak reproducer. `ping`
//! completes without ever blocking, which makes wasmtime 48-50 keep one
//! task entry per call; `ping-yielding` yields once first, which does not.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "callee", path: "../leak-wit" });
}

use bindings::exports::test::leak::ping::Guest;

struct Callee;

impl Guest for Callee {
    async fn ping() -> u32 {
        1
    }

    async fn ping_yielding() -> u32 {
        wit_bindgen::yield_async().await;
        1
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Callee with_types_in bindings);
