//! The store data every component runs with.

use std::sync::Arc;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::native::{NativeCtx, NativeCtxView, NativeView};
use crate::sockets::{SocketAccount, SocketLedger, SocketLedgerView};

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
    /// The policy's limits on the component's memories, instances, tables.
    pub limits: StoreLimits,
    /// The places the component's own `wasi:sockets` sockets hold, in the
    /// account the native backing shares.
    pub sockets: SocketLedger,
}

impl HostState {
    /// A state with the given WASI context and policy, charging every
    /// socket to `account` (the one [`crate::wasi::builder`] was given).
    pub fn new(wasi: WasiCtx, policy: Arc<crate::policy::Policy>, account: SocketAccount) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            native: NativeCtx::with_account(policy.clone(), &account),
            limits: policy.component_limits().store_limits(),
            sockets: SocketLedger::new(account),
            policy,
        }
    }
}

/// A store for `state`, limited as its policy says: memories, instances
/// and tables, and the deadline's epoch (on an engine built with
/// [`crate::engine::new_interruptible_engine`]).
pub fn limited_store(engine: &wasmtime::Engine, state: HostState) -> wasmtime::Store<HostState> {
    let ticks = state.policy.component_limits().deadline_ticks();
    let mut store = wasmtime::Store::new(engine, state);
    store.limiter(|state| &mut state.limits);
    match ticks {
        Some(ticks) => {
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }
        // Never reached: the epoch only advances on an interruptible engine.
        None => store.set_epoch_deadline(u64::MAX),
    }
    store
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

impl SocketLedgerView for HostState {
    fn socket_ledger(&mut self) -> &mut SocketLedger {
        &mut self.sockets
    }
}
