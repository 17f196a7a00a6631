//! Exporting a served handler (`portable-streams serve`) with one trait
//! impl and one macro call. Needs the `handler` feature.
//!
//! ```ignore
//! struct Echo;
//! impl portable_streams::handler::Handler for Echo {
//!     async fn handle_client(reader: portable_streams::Reader, writer: portable_streams::Writer) {
//!         while let Ok(line) = reader.readline().await {
//!             if line.is_empty() { break; }
//!             let _ = writer.write(&line);
//!         }
//!     }
//! }
//! portable_streams::export_handler!(Echo);
//! ```

use crate::{Reader, Writer};

/// The bindings of the `served` world; the `streams` types are the ones of
/// [`crate::bindings`].
#[doc(hidden)]
pub mod served {
    wit_bindgen::generate!({
        world: "served",
        path: "wit",
        with: { "portable:streams/streams@0.1.0": crate::bindings::portable::streams::streams },
        pub_export_macro: true,
        export_macro_name: "export_served",
        default_bindings_module: "portable_streams::handler::served",
    });
}

/// `client_connected_cb`: called once per accepted connection.
pub trait Handler {
    /// Serves one client; the connection is closed when this returns.
    fn handle_client(reader: Reader, writer: Writer) -> impl Future<Output = ()>;
}

/// Adapts a [`Handler`] to the generated export trait.
#[doc(hidden)]
pub struct Export<H>(std::marker::PhantomData<H>);

impl<H: Handler> served::exports::portable::streams::handler::Guest for Export<H> {
    async fn handle_client(
        reader: crate::bindings::portable::streams::streams::Reader,
        writer: crate::bindings::portable::streams::streams::Writer,
    ) {
        let writer = Writer::opened(writer);
        H::handle_client(Reader::from_raw(reader), writer.clone()).await;
        writer.close();
        // The host closes the connection when this returns: the outbox's
        // last bytes and the close go first.
        writer.settled().await;
    }
}

/// Exports `$handler` (a type implementing [`Handler`]) as the component's
/// `portable:streams/handler`.
#[macro_export]
macro_rules! export_handler {
    ($handler:ty) => {
        type __PortableStreamsExport = $crate::handler::Export<$handler>;
        $crate::handler::served::export_served!(__PortableStreamsExport with_types_in $crate::handler::served);
    };
}
