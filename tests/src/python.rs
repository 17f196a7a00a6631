//! Python components: the files in `examples/python` (or any `.py` file
//! under the workspace, named by its path without `.py`), built with
//! `python -m portable_streams build` (the package in `python/`, used from
//! the source tree) into `target/python`, once per process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use portable_streams_host::run::Backend;

use crate::build::workspace_root;
use crate::server::port_of_serving_line;
use crate::tools;

/// Whether Python components can be built here: the project's Python
/// ([`tools::python`]) with the pinned componentize-py, which
/// `scripts/test.sh` installs. Where it is missing the test fails, unless
/// the run opted out of missing tools (then this is `false`).
pub fn available() -> bool {
    let ok = Command::new(tools::python())
        .args([
            "-c",
            "import importlib.metadata as m; assert m.version('componentize-py') == '0.25.1'",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        tools::missing("the Python venv with componentize-py 0.25.1");
    }
    ok
}

/// The source of `name`: `examples/python/NAME.py`, or `NAME.py` from the
/// workspace root when `name` is a path.
fn source(name: &str) -> PathBuf {
    let root = workspace_root();
    match name.contains('/') {
        true => root.join(format!("{name}.py")),
        false => root.join("examples/python").join(format!("{name}.py")),
    }
}

/// `name` (see `source`), built into a component (once per process).
pub fn component(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let root = workspace_root();
    let out = root
        .join("target/python")
        .join(format!("{}.wasm", name.replace('/', "_")));
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|b| b == name) || fresh(&out, &source(name)) {
        return out;
    }
    std::fs::create_dir_all(out.parent().unwrap()).expect("target/python");
    let done = Command::new(tools::python())
        .args(["-m", "portable_streams", "build"])
        .arg(source(name))
        .arg("-o")
        .arg(&out)
        .env("PYTHONPATH", root.join("python"))
        .output()
        .expect("run python -m portable_streams build");
    assert!(
        done.status.success(),
        "building {name}.py failed:\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    built.push(name.to_owned());
    out
}

/// Whether `out` was built after the package's files and the Python
/// files beside `source` (it and the modules it may import) last changed
/// (then the build would make the same component again).
fn fresh(out: &Path, source: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(out) else {
        return false;
    };
    let python_files = |dir: &Path| {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
    };
    let package = workspace_root().join("python/portable_streams");
    let beside = source.parent().unwrap_or(Path::new("."));
    python_files(&package)
        .chain(python_files(beside))
        .map(|p| modified(&p))
        .all(|m| m.is_some_and(|m| m <= built))
}

/// `examples/python/tcp_echo_server.py` under CPython on a free port,
/// stopping after `clients` clients: the process (its output after the
/// "Serving on" line still to read) and its port.
pub fn echo_server(clients: usize) -> (Child, u16) {
    let mut child = cpython("tcp_echo_server")
        .args(["127.0.0.1", "0", &clients.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start CPython's echo server");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("its stdout"))
        .read_line(&mut line)
        .expect("its Serving on line");
    let port = port_of_serving_line(line.trim()).expect("a port");
    (child, port)
}

/// `name` (see `source`) under CPython itself; add its arguments.
pub fn cpython(name: &str) -> Command {
    let mut command = Command::new(tools::python());
    command.arg(source(name));
    command
}

/// How long CPython may take over a test program before the test fails.
const CPYTHON_BOUND: std::time::Duration = std::time::Duration::from_secs(120);

/// What `name` prints to stdout when CPython itself runs it with `args`
/// (it must succeed within `CPYTHON_BOUND`, 120 s; past it, it is killed and
/// the test fails).
pub async fn printed_by_cpython(name: &'static str, args: &[&str]) -> Vec<String> {
    let mut command = tokio::process::Command::from(cpython(name));
    command.args(args).kill_on_drop(true);
    let out = tokio::time::timeout(CPYTHON_BOUND, command.output())
        .await
        .unwrap_or_else(|_| panic!("{name} under CPython did not finish within {CPYTHON_BOUND:?}"))
        .expect("run CPython");
    assert!(
        out.status.success(),
        "{name} under CPython: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::lines(&out.stdout)
}

/// `name` run by CPython and by the component on both backends with
/// `argv`, under [`crate::loopback`]: the same lines each time. Returns
/// them (CPython's).
pub async fn same_as_cpython(name: &'static str, argv: &[&str]) -> Vec<String> {
    let expected = printed_by_cpython(name, argv).await;
    assert!(!expected.is_empty(), "{name} printed nothing under CPython");
    let mut command_line = vec![name.rsplit('/').next().unwrap()];
    command_line.extend_from_slice(argv);
    for backend in [Backend::Native, Backend::Guest] {
        let out = crate::run(
            &format!("python:{name}"),
            backend,
            crate::loopback(),
            &crate::args(&command_line),
        )
        .await;
        crate::assert_success(&format!("{name} on {backend:?}"), &out);
        assert_eq!(crate::lines(&out.stdout), expected, "{name} on {backend:?}");
    }
    expected
}

/// CPython's TLS client on a plain listener (`tests/tls_peer.py
/// reverse-client CA`) for one connection, which it waits for 120 s at
/// most; and the line it prints once done.
pub struct ReverseClient {
    child: Child,
    printed: BufReader<ChildStdout>,
    /// The port it listens on.
    pub port: u16,
}

impl ReverseClient {
    /// Starts it, trusting the CA in the PEM file `ca`.
    pub fn start(ca: &Path) -> Self {
        let mut child = Command::new(tools::python())
            .arg(workspace_root().join("tests/tls_peer.py"))
            .arg("reverse-client")
            .arg(ca)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start CPython's TLS client");
        let mut printed = BufReader::new(child.stdout.take().expect("its stdout"));
        let mut port = String::new();
        printed.read_line(&mut port).expect("its port");
        let port = port.trim().parse().expect("a port");
        Self {
            child,
            printed,
            port,
        }
    }

    /// What it saw, once done; it must have exited cleanly.
    pub fn saw(mut self) -> String {
        let mut line = String::new();
        self.printed.read_line(&mut line).expect("its last line");
        assert!(self.child.wait().expect("wait for it").success(), "{line}");
        line.trim().to_owned()
    }
}
