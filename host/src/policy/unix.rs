//! Unix socket paths: the one check of a path against the allowed roots,
//! after resolving what could escape them (`..`, symlinked directories).

use std::path::{Component, Path, PathBuf};

use portable_streams_core::Error;

use super::Policy;

impl Policy {
    /// Checks a Unix socket path and returns the normalised path to use:
    /// `..` is resolved lexically and the parent directory's symlinks are
    /// resolved, so neither can escape an allowed root.
    pub fn check_unix_path(&self, path: &Path) -> Result<PathBuf, Error> {
        let resolved = resolve_unix_path(path).map_err(|reason| {
            Error::AccessDenied(format!(
                "Unix socket path {} is not allowed: {reason}",
                path.display()
            ))
        })?;
        if self
            .unix_roots
            .iter()
            .any(|root| resolved.starts_with(root))
        {
            Ok(resolved)
        } else {
            Err(Error::AccessDenied(format!(
                "Unix socket path {} (resolved to {}) is outside the allowed directories",
                path.display(),
                resolved.display()
            )))
        }
    }
}

/// Resolves `path`'s parent through the file system (symlinks, `..`) and
/// keeps its file name, which must be a plain name.
fn resolve_unix_path(path: &Path) -> Result<PathBuf, String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(path)
    };
    let name = match absolute.components().next_back() {
        Some(Component::Normal(name)) => name.to_owned(),
        _ => return Err("the path must end in a file name".into()),
    };
    let parent = absolute
        .parent()
        .ok_or("the path has no parent directory")?;
    let parent = parent
        .canonicalize()
        .map_err(|e| format!("its directory cannot be resolved: {e}"))?;
    Ok(parent.join(name))
}
