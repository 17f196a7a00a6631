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
    /// The pooling allocator: cheap per-connection instances for `serve`,
    /// every part of the pool sized from these two numbers.
    Pooling {
        /// How many instances may be alive at once.
        max_instances: u32,
        /// The most bytes any one linear memory may grow to (the store's
        /// own cap): each memory slot reserves this much address space.
        max_memory: usize,
    },
}

/// The pool's parts per instance. A handler is usually one component with
/// one memory and a few core instances; the spare slots cost address
/// space only (nothing is committed until an instance uses it).
const CORE_INSTANCES_PER_INSTANCE: u32 = 8;
const MEMORIES_PER_INSTANCE: u32 = 4;
const TABLES_PER_INSTANCE: u32 = 4;

/// The largest memory slot the pool reserves: a 32-bit memory's whole
/// range.
const MAX_MEMORY_SLOT: usize = 4 << 30;

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
    if let Allocation::Pooling {
        max_instances,
        max_memory,
    } = allocation
    {
        let slot = max_memory.clamp(64 << 10, MAX_MEMORY_SLOT);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(max_instances);
        pool.total_core_instances(max_instances.saturating_mul(CORE_INSTANCES_PER_INSTANCE));
        pool.total_memories(max_instances.saturating_mul(MEMORIES_PER_INSTANCE));
        pool.total_tables(max_instances.saturating_mul(TABLES_PER_INSTANCE));
        // One handle-client call per instance, so one fiber stack each.
        // Stacks and memories are committed page by page as they are
        // touched, and memories start from a copy-on-write image: an idle
        // connection costs only the pages its handler wrote.
        pool.total_stacks(max_instances);
        pool.max_memory_size(slot);
        // A slot reserves no more address space than its memory may use,
        // so ten thousand slots fit where 4 GiB slots would not.
        config.memory_reservation(slot as u64);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}
