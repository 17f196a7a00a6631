//! Plugging the guest component into a client component (in-process, with
//! wac-graph), so the result runs on any WASI 0.3 runtime.

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, PlugError};

use crate::guest_component::GUEST_COMPONENT;

/// Why a composition failed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The client bytes are not a component.
    #[error("{what} is not a WebAssembly component: {reason}")]
    NotAComponent {
        /// Which input.
        what: &'static str,
        /// The parser's reason.
        reason: String,
    },
    /// The client does not import portable:streams.
    #[error(
        "nothing to compose: the client imports nothing the plug exports (is it built for the portable:streams client world?)"
    )]
    NothingToPlug,
    /// The graph could not be built or encoded.
    #[error("composition failed: {0}")]
    Graph(String),
}

/// Returns `client` with its `portable:streams/streams` import satisfied by
/// the embedded guest component.
pub fn compose_with_guest(client: &[u8]) -> Result<Vec<u8>, ComposeError> {
    compose(client, GUEST_COMPONENT)
}

/// Returns `client` with every import that `plug` exports satisfied by it.
pub fn compose(client: &[u8], plug: &[u8]) -> Result<Vec<u8>, ComposeError> {
    let mut graph = CompositionGraph::new();
    let client_pkg = Package::from_bytes("client", None, client.to_vec(), graph.types_mut())
        .map_err(|e| ComposeError::NotAComponent {
            what: "the client",
            reason: format!("{e:#}"),
        })?;
    let plug_pkg =
        Package::from_bytes("plug", None, plug.to_vec(), graph.types_mut()).map_err(|e| {
            ComposeError::NotAComponent {
                what: "the plug",
                reason: format!("{e:#}"),
            }
        })?;
    let client_id = graph
        .register_package(client_pkg)
        .map_err(|e| ComposeError::Graph(e.to_string()))?;
    let plug_id = graph
        .register_package(plug_pkg)
        .map_err(|e| ComposeError::Graph(e.to_string()))?;
    wac_graph::plug(&mut graph, vec![plug_id], client_id).map_err(|e| match e {
        PlugError::NoPlugHappened => ComposeError::NothingToPlug,
        PlugError::GraphError { source } => ComposeError::Graph(format!("{source:#}")),
    })?;
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| ComposeError::Graph(format!("{e:#}")))
}
