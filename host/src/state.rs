//! The store data every component runs with.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// What a store holds: the WASI context and the resource table.
pub struct HostState {
    /// WASI (p2 and p3) state.
    pub wasi: WasiCtx,
    /// Resources handed to the component.
    pub table: ResourceTable,
    /// The sandbox policy.
    pub policy: Arc<crate::policy::Policy>,
}

impl HostState {
    /// A state with the given WASI context and policy.
    pub fn new(wasi: WasiCtx, policy: Arc<crate::policy::Policy>) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            policy,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
