//! Test component: `leak-caller plain|yielding` calls `ping` (or
//! `ping-yielding`) 1.1 million times, then prints how many calls it made.
//! Composed with `leak-callee`, the plain run traps on wasmtime 48-50
//! ("resource table has no free keys"); the yielding run completes.

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ world: "caller", path: "../leak-wit" });
}

use bindings::test::leak::ping::{ping, ping_yielding};

/// More calls than the store's table has entries.
const CALLS: u32 = 1_100_000;

struct Caller;

impl wasip3::exports::cli::run::Guest for Caller {
    async fn run() -> Result<(), ()> {
        let yielding = std::env::args().nth(1).as_deref() == Some("yielding");
        let mut total = 0u32;
        for _ in 0..CALLS {
            total += if yielding {
                ping_yielding().await
            } else {
                ping().await
            };
        }
        println!("{total} calls");
        Ok(())
    }
}

wasip3::cli::command::export!(Caller);
