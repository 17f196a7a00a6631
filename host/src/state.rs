//! The store data every component runs with.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::native::{NativeCtx, NativeCtxView, NativeView};

/// What a store holds: the WASI context, the native backing's state and
/// the resource table they share.
pub struct HostState {
    /// WASI (p2 and p3) state.
    pub wasi: WasiCtx,
    /// Resources handed to the component.
    pub table: ResourceTable,
    /// The sandbox policy.
    pub policy: Arc<crate::policy::Policy>,
    /// The native backing's state (same policy).
    pub native: NativeCtx,
}

impl HostState {
    /// A state with the given WASI context and policy.
    pub fn new(wasi: WasiCtx, policy: Arc<crate::policy::Policy>) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            native: NativeCtx::new(policy.clone()),
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

impl NativeView for HostState {
    fn native(&mut self) -> NativeCtxView<'_> {
        NativeCtxView {
            ctx: &mut self.native,
            table: &mut self.table,
        }
    }
}
