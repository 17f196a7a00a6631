//! What one component may take of the host besides sockets: its linear
//! memories, instances and tables (wasmtime's `StoreLimits`), and time (a
//! deadline, enforced by epoch interruption for code that never yields and
//! by a timer for code that waits).

use std::time::Duration;

use wasmtime::{Engine, StoreLimits, StoreLimitsBuilder};

/// How often the epoch of an interruptible engine advances: the deadline's
/// resolution.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits on one component's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentLimits {
    /// The most bytes any one linear memory may grow to.
    pub memory: usize,
    /// The most (core and component) instances.
    pub instances: usize,
    /// The most tables.
    pub tables: usize,
    /// The most elements in any one table.
    pub table_elements: usize,
    /// How long the component may run; none = no bound.
    pub deadline: Option<Duration>,
}

impl ComponentLimits {
    /// No limits beyond wasmtime's own (for trusted components and tests).
    pub const UNLIMITED: Self = Self {
        memory: usize::MAX,
        instances: 10_000,
        tables: 10_000,
        table_elements: usize::MAX,
        deadline: None,
    };

    /// The CLI's defaults, safe for an untrusted plugin: 512 MiB per linear
    /// memory, 100 instances, 100 tables of at most 100,000 elements, no
    /// deadline (a server may run for ever; set one with `--deadline`).
    pub const UNTRUSTED: Self = Self {
        memory: 512 << 20,
        instances: 100,
        tables: 100,
        table_elements: 100_000,
        deadline: None,
    };

    /// The `StoreLimits` a store is given. A memory that cannot grow makes
    /// `memory.grow` fail (the component sees an allocation failure); the
    /// host's memory stays within the limits.
    pub fn store_limits(&self) -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(self.memory)
            .instances(self.instances)
            .tables(self.tables)
            .memories(self.instances)
            .table_elements(self.table_elements)
            .build()
    }

    /// The epoch ticks of the deadline, if any (at least one).
    pub fn deadline_ticks(&self) -> Option<u64> {
        self.deadline.map(|d| {
            let ticks = d.as_nanos() / EPOCH_TICK.as_nanos();
            u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
        })
    }
}

impl Default for ComponentLimits {
    fn default() -> Self {
        Self::UNLIMITED
    }
}

/// Advances `engine`'s epoch every [`EPOCH_TICK`] on a thread of its own,
/// for as long as the engine exists. The engine must have been built with
/// epoch interruption on.
pub fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no epoch ticker: deadlines will not interrupt busy code");
    }
}
