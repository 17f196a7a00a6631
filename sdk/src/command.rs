//! `main!`: a component's entry point as an `async fn`.
//!
//! WASI 0.3 runs a command through its exported async `wasi:cli/run`; a
//! blocking `fn main` (WASI 0.2) may not wait on async imports, so
//! components that use streams export an async `run` instead. Build such a
//! component as a `cdylib`.

use std::fmt::Display;

/// Prints `error: {e}` for an error result and maps it to exit status 1.
/// The `()` error is what `wasi:cli/run` returns for a failure.
#[doc(hidden)]
#[allow(clippy::result_unit_err)]
pub fn report<E: Display>(result: Result<(), E>) -> Result<(), ()> {
    result.map_err(|e| eprintln!("error: {e}"))
}

/// Exports `$main` (an `async fn() -> Result<(), E>` with `E: Display`) as
/// the component's `wasi:cli/run`: an error is printed as `error: ...` and
/// the exit status is 1.
///
/// ```ignore
/// async fn main() -> Result<(), portable_streams::Error> {
///     let (reader, writer) = portable_streams::open_connection("127.0.0.1", 8888).await?;
///     Ok(())
/// }
/// portable_streams::main!(main);
/// ```
#[macro_export]
macro_rules! main {
    ($main:path) => {
        struct __PortableStreamsMain;
        impl $crate::__wasip3::exports::cli::run::Guest for __PortableStreamsMain {
            async fn run() -> ::core::result::Result<(), ()> {
                let result = $main().await;
                $crate::__settle_writers().await;
                $crate::__command_report(result)
            }
        }
        $crate::__wasip3::cli::command::export!(__PortableStreamsMain);
    };
}
