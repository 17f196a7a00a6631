//! What the operating system lets one process hold, for `serve`: open
//! files (one per client) and memory mappings (each pooled instance maps
//! its memory and its fiber stack separately).

/// Memory mappings the pool makes before serving anyone: a fiber stack
/// and its guard page per instance.
const MAPS_PER_POOLED_INSTANCE: u64 = 2;
/// Memory mappings an instance in use adds: its memory's accessible part
/// split from the reserved slot, and the copy-on-write image over it.
const MAPS_PER_ACTIVE_INSTANCE: u64 = 4;
/// Mappings the process has besides the pool (code, libraries, heaps,
/// thread stacks), with room to spare.
const BASE_MAPS: u64 = 2_000;

/// Raises this process's soft limit on open files to its hard limit and
/// returns the limit now in force (None where it cannot be read).
///
/// `serve` holds one file per client; the usual soft limit (1,024) would
/// refuse clients long before the pool is full.
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call's duration.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit; raising the soft limit up to
        // the hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Some(limit.rlim_cur)
}

/// The most memory mappings one process may have (Linux's
/// `vm.max_map_count`); None where the system does not say.
pub fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// How many pooled instances fit in `max_maps` memory mappings, all of
/// them in use at once.
pub fn instances_within_maps(max_maps: u64) -> u32 {
    let per_instance = MAPS_PER_POOLED_INSTANCE + MAPS_PER_ACTIVE_INSTANCE;
    let fit = max_maps.saturating_sub(BASE_MAPS) / per_instance;
    u32::try_from(fit).unwrap_or(u32::MAX).max(1)
}

/// Open files a process keeps for itself: the listener, the standard
/// streams and the runtime's own.
pub const FILES_KEPT: u64 = 64;

/// How many clients `files` open files can serve: one file each, besides
/// [`FILES_KEPT`].
pub fn clients_within_files(files: u64) -> u64 {
    files.saturating_sub(FILES_KEPT)
}

/// This process's limit on open files now (the soft limit), if known.
pub fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call's duration.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur)
}

/// How many sockets the components of a `serve` process may open in all
/// when `files` open files are allowed and `clients` are served at once:
/// the rest is kept for the clients and [`FILES_KEPT`], so handlers that
/// open sockets until refused cannot make `accept` fail.
pub fn component_sockets_within_files(files: u64, clients: u64) -> u64 {
    files.saturating_sub(FILES_KEPT).saturating_sub(clients)
}

/// `serve`'s instance count when none is asked for: as many as the
/// system holds, up to this.
pub const DEFAULT_MAX_INSTANCES: u32 = 16_384;

/// The number of instances `serve` can really hold at once: raises the
/// open-file limit, then lowers `requested` (default: as many as fit, up
/// to [`DEFAULT_MAX_INSTANCES`]) to what the files and memory mappings
/// allow, with one warning saying why when an explicit count is lowered.
pub fn fit_instances(requested: Option<u32>) -> u32 {
    let Some(requested) = requested else {
        let fit = fit_instances_quietly(DEFAULT_MAX_INSTANCES);
        tracing::info!("serving up to {fit} connections at once");
        return fit;
    };
    fit_instances_loudly(requested)
}

fn fit_instances_quietly(requested: u32) -> u32 {
    let mut fit = requested;
    if let Some(files) = raise_open_file_limit() {
        fit = fit.min(u32::try_from(clients_within_files(files)).unwrap_or(u32::MAX));
    }
    if let Some(maps) = max_map_count() {
        fit = fit.min(instances_within_maps(maps));
    }
    fit.max(1)
}

fn fit_instances_loudly(requested: u32) -> u32 {
    let mut fit = requested;
    if let Some(files) = raise_open_file_limit() {
        let clients = u32::try_from(clients_within_files(files)).unwrap_or(u32::MAX);
        if clients < fit {
            tracing::warn!(
                "{requested} instances need {requested} open files, but this process may open \
                 {files} (ulimit -n); serving at most {clients} clients at once"
            );
            fit = clients.max(1);
        }
    }
    if let Some(maps) = max_map_count() {
        let instances = instances_within_maps(maps);
        if instances < fit {
            tracing::warn!(
                "{fit} instances need more memory mappings than vm.max_map_count ({maps}) \
                 allows; serving at most {instances} clients at once (raise it with \
                 `sysctl vm.max_map_count=N` for more)"
            );
            fit = instances;
        }
    }
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_defaults_hold_ten_thousand_instances() {
        // 65,530 is the default vm.max_map_count.
        assert!(instances_within_maps(65_530) >= 10_000);
        assert!(instances_within_maps(65_530) < 11_000);
        assert_eq!(instances_within_maps(0), 1);
    }

    #[test]
    fn the_soft_file_limit_rises_to_the_hard_one() {
        let now = raise_open_file_limit().expect("getrlimit works on Linux");
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as in `raise_open_file_limit`.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(now, limit.rlim_cur);
        assert_eq!(limit.rlim_cur, limit.rlim_max);
    }
}
