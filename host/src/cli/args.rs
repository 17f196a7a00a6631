//! Argument definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run, serve and compose WebAssembly components that use asyncio-style
/// network streams (portable:streams).
#[derive(Debug, Parser)]
#[command(name = "portable-streams", version, after_help = EXAMPLES)]
pub struct Cli {
    /// More logs: -v info, -vv debug, -vvv trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  Run a client, allowed to reach one port:
    portable-streams run client.wasm --allow-connect 127.0.0.1:8888 127.0.0.1 8888
  The same with the guest component composed in (streams over wasi:sockets):
    portable-streams run client.wasm --backend guest --allow-connect 127.0.0.1:8888 127.0.0.1 8888
  Run a server, allowed to listen on loopback:
    portable-streams run server.wasm --allow-listen 127.0.0.1:* 127.0.0.1 8888
  Serve a handler component, one instance per connection, until Ctrl-C:
    portable-streams serve echo_handler.wasm --listen 127.0.0.1:8888
  The same over a Unix socket, one instance for every connection:
    portable-streams serve chat.wasm --listen unix:/tmp/chat.sock --shared-instance
  Make a client runnable on any WASI 0.3 runtime:
    portable-streams compose client.wasm -o client-composed.wasm";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command component (exports wasi:cli/run, WASI 0.3 or 0.2).
    Run(RunArgs),
    /// Serve a handler component: accept connections natively and call its
    /// exported handle-client once per connection, concurrently.
    Serve(ServeArgs),
    /// Compose the bundled guest component into a client component.
    Compose(ComposeArgs),
}

/// Which backend provides portable:streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// The host's native implementation (tokio TCP and Unix sockets).
    Native,
    /// The bundled guest component over wasi:sockets.
    Guest,
}

/// The sandbox: everything is denied unless allowed here.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Allow connecting to HOST:PORT (HOST: IP, CIDR, IPv6 in brackets, localhost or *;
    /// PORT: number, FIRST-LAST or *). Repeatable.
    #[arg(long = "allow-connect", value_name = "HOST:PORT")]
    pub allow_connect: Vec<String>,
    /// Allow listening on HOST:PORT (same syntax). Repeatable.
    #[arg(long = "allow-listen", value_name = "HOST:PORT")]
    pub allow_listen: Vec<String>,
    /// Allow Unix sockets inside DIR. Repeatable.
    #[arg(long = "allow-unix", value_name = "DIR")]
    pub allow_unix: Vec<PathBuf>,
    /// Cap on connections the component opens or accepts, open at once
    /// ("none": no cap).
    #[arg(long, value_name = "N", default_value = "100")]
    pub max_connections: Cap<usize>,
    /// Cap on listening sockets open at once ("none": no cap).
    #[arg(long, value_name = "N", default_value = "16")]
    pub max_listeners: Cap<usize>,
    /// Cap on a reader's limit, in bytes; a connection then holds at most
    /// twice this much unread (readexactly and read(-1) included).
    #[arg(long, value_name = "BYTES", default_value = "1048576")]
    pub max_read_buffer: Cap<usize>,
    /// Cap on the bytes a connection's writer buffers; a write past it
    /// fails with access-denied.
    #[arg(long, value_name = "BYTES", default_value = "8388608")]
    pub max_write_buffer: Cap<u64>,
    /// Budget of bytes all of the component's connections hold at once
    /// (unread plus unsent, and 64 KiB for each raw wasi:sockets
    /// connection); a read or write past it fails with access-denied.
    #[arg(long, value_name = "BYTES", default_value = "33554432")]
    pub max_buffered: Cap<u64>,
    /// Cap on each of the component's linear memories, in bytes (default
    /// 512 MiB); past it, the component's allocations fail.
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<usize>,
}

/// A cap from the command line: a number, or `none` for no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap<T> {
    /// At most this many.
    At(T),
    /// No cap.
    None,
}

impl<T: std::str::FromStr> std::str::FromStr for Cap<T> {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(Cap::None);
        }
        s.parse()
            .map(Cap::At)
            .map_err(|_| format!("{s:?} is not a number or \"none\""))
    }
}

impl<T: Copy> Cap<T> {
    /// The cap, if any.
    pub fn get(&self) -> Option<T> {
        match self {
            Cap::At(n) => Some(*n),
            Cap::None => None,
        }
    }
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The component file.
    pub component: PathBuf,
    /// Arguments passed to the component.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Which backend provides portable:streams: the host's sockets, or the
    /// bundled guest component over wasi:sockets.
    #[arg(long, value_enum, default_value = "native")]
    pub backend: BackendArg,
    /// Stop the component after this many seconds (also one that never
    /// yields); exit status 1 with one line saying so.
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// An environment variable for the component (repeatable, as
    /// `wasmtime run --env`). Names starting `PORTABLE_STREAMS_` are the
    /// sandbox's own and are refused.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// The sandbox.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `NAME=VALUE`, with a name the sandbox does not use itself.
fn parse_env(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))?;
    if name.is_empty() {
        return Err(format!("no variable name in {text:?}"));
    }
    if name.starts_with(portable_streams_core::caps::env::PREFIX) {
        return Err(format!(
            "{name} is the sandbox's own setting: use the policy flags instead"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The handler component (exports portable:streams/handler).
    pub component: PathBuf,
    /// Where to listen: HOST:PORT (port 0 picks one) or unix:PATH.
    #[arg(long, value_name = "ADDRESS")]
    pub listen: portable_streams_host::serve::ListenAddress,
    /// Serve every connection from one instance (for shared state); a trap
    /// replaces the instance for later connections.
    #[arg(long)]
    pub shared_instance: bool,
    /// Seconds open connections may run on after Ctrl-C.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub grace_period: u64,
    /// Connections served at once, one instance each (the pooling
    /// allocator is sized from it); more clients wait in the listen
    /// backlog until an instance frees. Default: as many as the open-file
    /// limit and vm.max_map_count allow, up to 16384 (about 10,500 on a
    /// stock Linux); a larger N is lowered to that, with a warning.
    #[arg(long, value_name = "N")]
    pub max_instances: Option<u32>,
    /// Let several serve processes listen on the same TCP port
    /// (SO_REUSEPORT): the kernel spreads clients over them.
    #[arg(long)]
    pub reuse_port: bool,
    /// Close a connection whose handler has waited this many seconds for
    /// data from its client (the handler's read fails with `timeout`).
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<f64>,
    /// Close a connection whose handler has run this many seconds (also
    /// one that never yields); per connection, so not with
    /// --shared-instance.
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// The sandbox for connections the handler opens itself.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `compose`.
#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// The client component (imports portable:streams).
    pub client: PathBuf,
    /// Where to write the composed component.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}
