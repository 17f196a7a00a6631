//! The wasmtime engine every component runs in.

use wasmtime::{
    Cache, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

/// Set (to anything) to write `/tmp/perf-PID.map` so `perf report` names
/// the compiled wasm functions.
pub const PERFMAP_ENV: &str = "PORTABLE_STREAMS_PERFMAP";

/// How instances are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// On demand: for running one component.
    #[default]
    OnDemand,
    /// The pooling allocator: cheap per-connection instances for `serve`.
    Pooling {
        /// How many instances may be alive at once.
        max_instances: u32,
    },
}

/// Builds an engine with the component model's async ABI (WASI 0.3) and a
/// compilation cache (best effort: no cache if it cannot be set up).
pub fn new_engine(allocation: Allocation) -> wasmtime::Result<Engine> {
    Engine::new(&config(allocation))
}

/// [`new_engine`] with epoch interruption on and its ticker running, so a
/// store's deadline (`ComponentLimits::deadline`) interrupts code that
/// never yields. Compiled code checks the epoch, so this costs a little on
/// every run: use it only when a deadline is set.
pub fn new_interruptible_engine(allocation: Allocation) -> wasmtime::Result<Engine> {
    let mut config = config(allocation);
    config.epoch_interruption(true);
    let engine = Engine::new(&config)?;
    crate::limits::start_epoch_ticker(&engine);
    Ok(engine)
}

fn config(allocation: Allocation) -> Config {
    let mut config = Config::new();
    config.wasm_component_model_async(true);
    config.wasm_component_model_error_context(true);
    match Cache::from_file(None) {
        Ok(cache) => {
            config.cache(Some(cache));
        }
        Err(err) => tracing::debug!("compilation cache unavailable: {err:#}"),
    }
    if std::env::var_os(PERFMAP_ENV).is_some() {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    if let Allocation::Pooling { max_instances } = allocation {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(max_instances);
        pool.total_core_instances(max_instances.saturating_mul(8));
        pool.total_memories(max_instances.saturating_mul(4));
        pool.total_tables(max_instances.saturating_mul(4));
        pool.max_memory_size(256 << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}
