//! Unix sockets: `open-unix-connection`, and the listening socket file of
//! `start-unix-server` (a stale socket is replaced, anything else refused;
//! the file is removed on close only if it is still the one we bound).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use portable_streams_core::tls::Side;
use portable_streams_core::{Error, connect};
use socket2::{Domain, SockAddr, Socket, Type};
use tokio::net::{UnixListener, UnixStream};

use super::conn::Conn;
use super::conv::{Allowance, read_buffer};
use super::{tls, transport, wit};

/// `asyncio.open_unix_connection(path, ...)`.
pub(crate) async fn open_unix_connection(
    allowance: Allowance,
    path: String,
    options: wit::UnixConnectOptions,
) -> Result<Arc<Conn>, Error> {
    let policy = allowance.policy.clone();
    let opened = connect::open(
        read_buffer(options.limit, &policy),
        // No host to verify: only `server-name` names the server.
        || Side::client_for(options.tls.as_ref(), None, tls::provider()),
        || allowance.count.try_permit(policy.max_connections()),
        async {
            // The policy's verdict on the path comes with connecting, as
            // its verdict on an address does.
            let resolved = policy.check_unix_path(path.as_ref())?;
            let target = resolved.display().to_string();
            let connecting = async {
                UnixStream::connect(&resolved)
                    .await
                    .map_err(|e| Error::from(e).context(&format!("connecting to {target}")))
            };
            let sleep = |nanos| tokio::time::sleep(Duration::from_nanos(nanos));
            let stream =
                connect::bounded(&target, options.connect_timeout, connecting, sleep).await?;
            Ok(transport::unix(stream, None))
        },
        async |plain, side| tls::secure(plain, &side).await,
    )
    .await?;
    Ok(Conn::start(
        opened.transport,
        allowance.engine(opened.read),
        Some(opened.permit),
        None,
    ))
}

/// The socket file a Unix server bound, identified by device and inode so
/// that a file someone else put there later is never removed.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// Removes the file if it is still the socket that was bound.
    pub(crate) fn remove(self) {
        match std::fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.dev() == self.dev && meta.ino() == self.ino => {
                if let Err(error) = std::fs::remove_file(&self.path) {
                    tracing::warn!(path = %self.path.display(), %error, "socket file not removed");
                }
            }
            _ => {}
        }
    }
}

/// Binds and listens at `path`. A stale socket file there is removed
/// first (as asyncio does); any other file is refused.
pub(crate) fn bind(path: &Path, backlog: u32) -> Result<(UnixListener, SocketFile), Error> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            std::fs::remove_file(path).map_err(|e| {
                Error::from(e).context(&format!("removing the stale socket {shown}"))
            })?;
        }
        Ok(_) => {
            return Err(Error::AddressInUse(format!(
                "{shown} exists and is not a socket; refusing to replace it"
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::from(e).context(&format!("inspecting {shown}"))),
    }
    let context = format!("error while attempting to bind on address '{shown}'");
    let listen = || -> std::io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        socket.bind(&SockAddr::unix(path)?)?;
        socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        UnixListener::from_std(std::os::unix::net::UnixListener::from(
            std::os::fd::OwnedFd::from(socket),
        ))
    };
    let listener = listen().map_err(|e| Error::from(e).context(&context))?;
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::from(e).context(&context))?;
    Ok((
        listener,
        SocketFile {
            path: path.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
        },
    ))
}
