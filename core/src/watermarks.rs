//! The writer's high and low watermarks.

use crate::Error;

/// asyncio's write-buffer limits: writing pauses when more than `high`
/// bytes are buffered and resumes once at most `low` remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimits {
    /// Pause above this many buffered bytes.
    pub high: u64,
    /// Resume at or below this many buffered bytes.
    pub low: u64,
}

impl Default for WriteLimits {
    /// asyncio's defaults: 64 KiB and 16 KiB.
    fn default() -> Self {
        Self {
            high: 64 * 1024,
            low: 16 * 1024,
        }
    }
}

impl WriteLimits {
    /// asyncio's `_set_write_buffer_limits(high, low)`: `high` defaults to
    /// 64 KiB (or 4 x `low` when only `low` is given), `low` to `high / 4`;
    /// `low > high` is a `ValueError`.
    pub fn new(high: Option<u64>, low: Option<u64>) -> Result<Self, Error> {
        let high = match (high, low) {
            (Some(h), _) => h,
            (None, None) => 64 * 1024,
            (None, Some(l)) => l.saturating_mul(4),
        };
        let low = low.unwrap_or(high / 4);
        if low > high {
            return Err(Error::InvalidArgument(format!(
                "high ({high}) must be >= low ({low}) must be >= 0"
            )));
        }
        Ok(Self { high, low })
    }
}
