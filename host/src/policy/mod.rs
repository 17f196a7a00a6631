//! The sandbox policy: what a component may connect to, listen on, and
//! reach over Unix sockets, and how much it may hold. Everything is
//! denied unless allowed.
//!
//! * this file: [`Policy`], its builder, its caps and the one check of
//!   every network use;
//! * `rules.rs`: allow-list entries ([`AddressRule`]) and their parsing;
//! * `unix.rs`: Unix socket paths and their roots.
//!
//! The component's own limits (memories, instances, running time) are
//! `crate::limits`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use portable_streams_core::Error;

use crate::limits::ComponentLimits;

mod rules;
mod unix;

pub use rules::AddressRule;
use rules::canonical;

/// One use of the network that a component asks for; see
/// [`Policy::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkUse<'a> {
    /// Connecting to a resolved address.
    Connect(SocketAddr),
    /// Binding a socket before connecting (`local_addr`).
    Bind(SocketAddr),
    /// Listening on an address.
    Listen(SocketAddr),
    /// Accepting a client on a listener.
    Accept(SocketAddr),
    /// Resolving a host name.
    Resolve(&'a str),
    /// Any UDP use.
    Udp(SocketAddr),
}

/// A malformed allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The entry is not `HOST:PORT`.
    #[error(
        "malformed address rule {rule:?}: {reason} (expected HOST:PORT, e.g. 127.0.0.1:8080, 10.0.0.0/8:*, [::1]:1000-2000, localhost:*)"
    )]
    BadRule {
        /// The entry as given.
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A Unix root that does not exist or cannot be resolved.
    #[error("Unix socket root {path:?} cannot be used: {reason}")]
    BadUnixRoot {
        /// The root as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
}

/// Allow-lists and caps for one component.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    connect: Vec<AddressRule>,
    listen: Vec<AddressRule>,
    unix_roots: Vec<PathBuf>,
    max_connections: Option<usize>,
    max_listeners: Option<usize>,
    max_read_buffer: Option<usize>,
    max_write_buffer: Option<u64>,
    max_buffered: Option<u64>,
    component: ComponentLimits,
}

impl Policy {
    /// The default: nothing allowed, no caps.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Any connect target, any listen address, Unix sockets anywhere.
    /// For trusted components and tests only.
    pub fn allow_all() -> Self {
        let any = AddressRule::from_str("*:*").expect("valid rule");
        Self {
            connect: vec![any.clone()],
            listen: vec![any],
            unix_roots: vec![PathBuf::from("/")],
            max_connections: None,
            max_listeners: None,
            max_read_buffer: None,
            max_write_buffer: None,
            max_buffered: None,
            component: ComponentLimits::UNLIMITED,
        }
    }

    /// Allows connecting to targets matching `rule` (see [`AddressRule`]).
    pub fn allow_connect(mut self, rule: &str) -> Result<Self, PolicyError> {
        self.connect.push(rule.parse()?);
        Ok(self)
    }

    /// Allows listening on addresses matching `rule`.
    pub fn allow_listen(mut self, rule: &str) -> Result<Self, PolicyError> {
        self.listen.push(rule.parse()?);
        Ok(self)
    }

    /// Allows Unix sockets at paths inside `dir` (resolved now, so later
    /// symlink tricks cannot move it).
    pub fn allow_unix(mut self, dir: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let dir = dir.as_ref();
        let root = dir.canonicalize().map_err(|e| PolicyError::BadUnixRoot {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.unix_roots.push(root);
        Ok(self)
    }

    /// Caps the number of connections open at once (connected plus accepted).
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// Caps the number of listening sockets open at once (a server on
    /// several addresses has one per address).
    pub fn with_max_listeners(mut self, max: usize) -> Self {
        self.max_listeners = Some(max);
        self
    }

    /// Caps a reader's limit in bytes: a bigger explicit limit is denied,
    /// the default shrinks to the cap. A connection's reader then holds at
    /// most 2 x `max` bytes (asyncio's 2 x limit), also for
    /// `readexactly(n)` and `read(-1)`, which fail with `access-denied`
    /// past it (see `portable_streams_core::Caps`).
    pub fn with_max_read_buffer(mut self, max: usize) -> Self {
        self.max_read_buffer = Some(max);
        self
    }

    /// Caps the bytes a connection's writer buffers: a `write` that would
    /// buffer more fails with `access-denied` instead of growing.
    pub fn with_max_write_buffer(mut self, max: u64) -> Self {
        self.max_write_buffer = Some(max);
        self
    }

    /// Caps the bytes all of a store's connections hold at once (unread
    /// plus unsent, and what the host buffers for its raw sockets): a read
    /// that would receive past it, or a write that would buffer past it,
    /// fails with `access-denied` naming it; nothing held is lost.
    pub fn with_max_buffered(mut self, max: u64) -> Self {
        self.max_buffered = Some(max);
        self
    }

    /// Limits the component's own memories, instances, tables and running
    /// time (see [`ComponentLimits`]).
    pub fn with_component_limits(mut self, limits: ComponentLimits) -> Self {
        self.component = limits;
        self
    }

    /// The component's limits.
    pub fn component_limits(&self) -> &ComponentLimits {
        &self.component
    }

    /// The write-buffer cap, if any.
    pub fn max_write_buffer(&self) -> Option<u64> {
        self.max_write_buffer
    }

    /// The store-wide byte budget, if any.
    pub fn max_buffered(&self) -> Option<u64> {
        self.max_buffered
    }

    /// What one connection may hold in memory under this policy.
    pub fn caps(&self) -> portable_streams_core::Caps {
        portable_streams_core::Caps::from_buffers(self.max_read_buffer, self.max_write_buffer)
    }

    /// The connection cap, if any.
    pub fn max_connections(&self) -> Option<usize> {
        self.max_connections
    }

    /// The listening-socket cap, if any.
    pub fn max_listeners(&self) -> Option<usize> {
        self.max_listeners
    }

    /// The reader-limit cap, if any.
    pub fn max_read_buffer(&self) -> Option<usize> {
        self.max_read_buffer
    }

    /// The connect allow-list.
    pub fn connect_rules(&self) -> &[AddressRule] {
        &self.connect
    }

    /// The listen allow-list.
    pub fn listen_rules(&self) -> &[AddressRule] {
        &self.listen
    }

    /// The one check of every network use a component asks for, on both
    /// backends (the native backing calls it; so does wasmtime-wasi's
    /// socket check for a guest backend). IPv4-mapped IPv6 addresses are
    /// judged as the IPv4 address they carry. Unix paths have their own
    /// single check, [`check_unix_path`](Self::check_unix_path), which
    /// also gives the path to use.
    pub fn check(&self, network_use: NetworkUse<'_>) -> Result<(), Error> {
        let allowed = match network_use {
            NetworkUse::Connect(addr) => self.connect.iter().any(|r| r.matches(addr)),
            // A bind to an ephemeral port is how every connect starts; a
            // fixed port is a listen address.
            NetworkUse::Bind(addr) => {
                addr.port() == 0 || self.listen.iter().any(|r| r.matches(addr))
            }
            NetworkUse::Listen(addr) => self.listen.iter().any(|r| r.matches(addr)),
            // Clients of an allowed listener.
            NetworkUse::Accept(_) => true,
            // Names are only worth resolving for a component that may
            // connect or listen somewhere; the address is judged after.
            NetworkUse::Resolve(_) => !self.connect.is_empty() || !self.listen.is_empty(),
            NetworkUse::Udp(_) => false,
        };
        if allowed {
            return Ok(());
        }
        // The message is built only for a denial: a check runs on every
        // connect and accept.
        let what = match network_use {
            NetworkUse::Connect(addr) => format!("connecting to {}", canonical(addr)),
            NetworkUse::Bind(addr) => format!("binding to {}", canonical(addr)),
            NetworkUse::Listen(addr) => format!("listening on {}", canonical(addr)),
            NetworkUse::Accept(addr) => format!("accepting {}", canonical(addr)),
            NetworkUse::Resolve(name) => format!("resolving {name:?}"),
            NetworkUse::Udp(addr) => format!("UDP with {addr} (portable:streams has none)"),
        };
        Err(Error::AccessDenied(format!(
            "{what} is not allowed by the policy"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_denies_everything() {
        let p = Policy::deny_all();
        assert!(matches!(
            p.check(NetworkUse::Connect(sa("127.0.0.1:80"))),
            Err(Error::AccessDenied(_))
        ));
        assert!(matches!(
            p.check(NetworkUse::Listen(sa("127.0.0.1:80"))),
            Err(Error::AccessDenied(_))
        ));
        assert!(matches!(
            p.check_unix_path(Path::new("/tmp/x")),
            Err(Error::AccessDenied(_))
        ));
    }

    #[test]
    fn exact_cidr_and_port_ranges() {
        let p = Policy::deny_all()
            .allow_connect("127.0.0.1:8080")
            .unwrap()
            .allow_connect("10.0.0.0/8:1000-2000")
            .unwrap()
            .allow_connect("[::1]:*")
            .unwrap();
        assert!(p.check(NetworkUse::Connect(sa("127.0.0.1:8080"))).is_ok());
        assert!(p.check(NetworkUse::Connect(sa("127.0.0.1:8081"))).is_err());
        assert!(p.check(NetworkUse::Connect(sa("10.1.2.3:1500"))).is_ok());
        assert!(p.check(NetworkUse::Connect(sa("10.1.2.3:2001"))).is_err());
        assert!(p.check(NetworkUse::Connect(sa("11.0.0.1:1500"))).is_err());
        assert!(p.check(NetworkUse::Connect(sa("[::1]:9"))).is_ok());
        assert!(p.check(NetworkUse::Connect(sa("[::2]:9"))).is_err());
    }

    #[test]
    fn ipv4_mapped_ipv6_cannot_bypass_ipv4_rules() {
        let p = Policy::deny_all().allow_connect("127.0.0.1:80").unwrap();
        // The mapped form of an allowed address is allowed...
        assert!(
            p.check(NetworkUse::Connect(sa("[::ffff:127.0.0.1]:80")))
                .is_ok()
        );
        // ...and the mapped form of a denied one is denied.
        let err = p
            .check(NetworkUse::Connect(sa("[::ffff:10.0.0.1]:80")))
            .unwrap_err();
        assert_eq!(
            err,
            Error::AccessDenied("connecting to 10.0.0.1:80 is not allowed by the policy".into())
        );
    }

    #[test]
    fn an_ipv4_mapped_network_is_the_ipv4_network_it_maps() {
        // Writing the policy fuzz target's model showed that
        // `::ffff:10.0.0.0/104` was refused and `::ffff:10.0.0.0/8` meant
        // 10.0.0.0/8.
        let p = Policy::deny_all()
            .allow_connect("[::ffff:10.0.0.0/104]:80")
            .unwrap();
        assert!(p.check(NetworkUse::Connect(sa("10.1.2.3:80"))).is_ok());
        assert!(
            p.check(NetworkUse::Connect(sa("[::ffff:10.1.2.3]:80")))
                .is_ok()
        );
        assert!(p.check(NetworkUse::Connect(sa("11.0.0.1:80"))).is_err());
        // A shorter prefix stays an IPv6 network, which admits no IPv4
        // address even where it spans the mapped range.
        let p = Policy::deny_all().allow_connect("[::/8]:80").unwrap();
        assert!(p.check(NetworkUse::Connect(sa("[::2]:80"))).is_ok());
        assert!(p.check(NetworkUse::Connect(sa("10.1.2.3:80"))).is_err());
        assert!(
            p.check(NetworkUse::Connect(sa("[2001:db8::1]:80")))
                .is_err()
        );
        let p = Policy::deny_all().allow_connect("[::1/128]:80").unwrap();
        assert!(p.check(NetworkUse::Connect(sa("0.0.0.1:80"))).is_err());
    }

    #[test]
    fn localhost_rule_covers_both_loopbacks_only() {
        let p = Policy::deny_all().allow_listen("localhost:*").unwrap();
        assert!(p.check(NetworkUse::Listen(sa("127.0.0.1:0"))).is_ok());
        assert!(p.check(NetworkUse::Listen(sa("127.9.9.9:0"))).is_ok());
        assert!(p.check(NetworkUse::Listen(sa("[::1]:0"))).is_ok());
        assert!(p.check(NetworkUse::Listen(sa("0.0.0.0:0"))).is_err());
    }

    #[test]
    fn malformed_rules_are_typed_errors() {
        for rule in [
            "",
            "127.0.0.1",
            "127.0.0.1:x",
            "1.2.3.4/33:1",
            "host:1",
            "1.1.1.1:9-1",
        ] {
            assert!(
                matches!(
                    rule.parse::<AddressRule>(),
                    Err(PolicyError::BadRule { .. })
                ),
                "{rule}"
            );
        }
    }

    #[test]
    fn unix_paths_cannot_escape_their_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let p = Policy::deny_all().allow_unix(&root).unwrap();
        assert!(p.check_unix_path(&root.join("ok.sock")).is_ok());
        assert!(p.check_unix_path(&root.join("../outside/x.sock")).is_err());
        assert!(p.check_unix_path(&root.join("link/x.sock")).is_err());
        assert!(p.check_unix_path(&root.join("..")).is_err());
    }

    #[test]
    fn every_network_use_goes_through_one_check() {
        let p = Policy::deny_all()
            .allow_connect("127.0.0.1:80")
            .unwrap()
            .allow_listen("127.0.0.1:9000")
            .unwrap();
        assert!(
            p.check(NetworkUse::Bind(sa("127.0.0.1:0"))).is_ok(),
            "ephemeral"
        );
        assert!(p.check(NetworkUse::Bind(sa("127.0.0.1:9000"))).is_ok());
        assert!(matches!(
            p.check(NetworkUse::Bind(sa("127.0.0.1:9001"))),
            Err(Error::AccessDenied(m)) if m == "binding to 127.0.0.1:9001 is not allowed by the policy"
        ));
        assert!(p.check(NetworkUse::Accept(sa("10.0.0.1:5"))).is_ok());
        assert!(p.check(NetworkUse::Udp(sa("127.0.0.1:80"))).is_err());
        assert!(p.check(NetworkUse::Resolve("example.com")).is_ok());
        assert!(matches!(
            Policy::deny_all().check(NetworkUse::Resolve("example.com")),
            Err(Error::AccessDenied(m)) if m.contains("resolving \"example.com\"")
        ));
    }
}
