//! The one error type: core's, with asyncio's exceptions as variants. The
//! WIT `error` is converted to it once, here.
//!
//! ```
//! let e = portable_streams::Error::IncompleteRead { partial: vec![0; 18].into(), expected: Some(36) };
//! assert_eq!(e.to_string(), "18 bytes read on a total of 36 expected bytes");
//! ```

pub use portable_streams_core::Error;

use crate::wit;

// Both ways, case for case (core's text, expanded for this binding).
portable_streams_core::wit_error_conversions!(wit);
