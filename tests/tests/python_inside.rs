//! What only a Python component does: the loop's `NotImplementedError`
//! naming why for what a component cannot do, executors that run at once
//! on the loop, `getaddrinfo` for addresses, the `ssl` stand-in,
//! `Server.wait_closed` as asyncio's since 3.12, `writelines` as one
//! write; and the build's bundling: a library's lazily imported module and
//! a requirement it imports lazily are in the component, and a
//! distribution whose native extension is needed fails the build by name.

use std::path::Path;
use std::process::Command;

use portable_streams_host::policy::Policy;
use portable_streams_host::run::Backend;
use portable_streams_tests::{args, assert_success, lines, loopback, python, run, tools};

const BACKENDS: &[Backend] = &[Backend::Native, Backend::Guest];

#[tokio::test(flavor = "multi_thread")]
async fn what_a_component_cannot_do_says_why() {
    if !python::available() {
        return;
    }
    let expected = [
        "sock_recv NotImplementedError: a component has no sockets of its own: use create_connection or create_server",
        "create_datagram_endpoint NotImplementedError: portable:streams has no datagrams (UDP)",
        "subprocess_exec NotImplementedError: a component cannot start processes",
        "add_signal_handler NotImplementedError: a component receives no signals",
        "create_connection(sock=) NotImplementedError: sock= inside a component takes only a socket that loop.sock_connect connected: a component has no sockets of its own; pass host and port (or path) instead",
        "run_in_executor ran at once: ['ran', 'returned']",
        "to_thread: 42",
        "run_in_executor raised: boom",
        "run_in_executor StopIteration: StopIteration",
        "run_in_executor(executor): 3",
        "getaddrinfo: [(<AddressFamily.AF_INET: 1>, <SocketKind.SOCK_STREAM: 6>, 6, '', ('127.0.0.1', 80))]",
        "getaddrinfo of a name: gaierror",
        "ssl context: SSLContext True True",
        "ssl.wrap_socket: ssl.wrap_socket is not available inside a component: its TLS is the interface's, configured through SSLContext (load_verify_locations, load_cert_chain, set_alpn_protocols, wrap_bio)",
        "wrap_bio without a name: check_hostname requires server_hostname",
    ];
    prints_on_both_backends("inside_only", Policy::deny_all(), &expected).await;
}

/// asyncio's `Server.wait_closed` waits for the clients the server
/// accepted.
#[tokio::test(flavor = "multi_thread")]
async fn server_wait_closed_waits_for_its_clients() {
    // asyncio's since 3.12 (the component's CPython is 3.14); the
    // reference CPython here is 3.11, whose wait_closed returns at close,
    // so the lines are written out.
    if !python::available() {
        return;
    }
    let expected = [
        "wait_closed while a client is connected: done False",
        "after the client closed: done True",
        "again: returns at once",
    ];
    prints_on_both_backends("server_wait_closed", loopback(), &expected).await;
}

/// `writelines` makes one interface write of its items (asyncio's
/// transports make one send): item by item, each was a segment of its
/// own, and on the guest backend, where Nagle's algorithm stays on, the
/// second waited for the peer's delayed ACK.
#[tokio::test(flavor = "multi_thread")]
async fn writelines_is_one_write() {
    if !python::available() {
        return;
    }
    let expected = [
        "interface writes: [15]",
        "server read: [b'head\\n', b'body\\n', b'tail\\n']",
        "interface writes after writelines([]): [15]",
        "writelines of str: TypeError sequence item 0: expected a bytes-like object, str found",
    ];
    prints_on_both_backends("writelines_once", loopback(), &expected).await;
}

/// Runs `tests/python/{script}.py` as a component on each backend under
/// `policy` and checks it succeeds printing `expected`.
async fn prints_on_both_backends(script: &str, policy: Policy, expected: &[&str]) {
    for &backend in BACKENDS {
        let out = run(
            &format!("python:tests/python/{script}"),
            backend,
            policy.clone(),
            &args(&[&format!("{script}.py")]),
        )
        .await;
        assert_success(&format!("{script}.py on {backend:?}"), &out);
        assert_eq!(lines(&out.stdout), expected, "{backend:?}");
    }
}

/// Writes an installed distribution `name` into `site`: its files (path,
/// contents), a METADATA with `requires`, and a RECORD listing them.
fn install_fake(site: &Path, name: &str, files: &[(&str, &str)], requires: &[&str]) {
    let info = site.join(format!("{name}-1.0.dist-info"));
    std::fs::create_dir_all(&info).unwrap();
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    std::fs::write(info.join("METADATA"), metadata).unwrap();
    let mut record = String::new();
    for (path, text) in files {
        let file = site.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
        record.push_str(&format!("{path},,\n"));
    }
    record.push_str(&format!("{name}-1.0.dist-info/METADATA,,\n"));
    std::fs::write(info.join("RECORD"), record).unwrap();
}

/// `python -m portable_streams build APP -o OUT` with `site` on the path.
fn build(site: &Path, app: &Path, out: &Path) -> std::process::Output {
    let root = portable_streams_tests::build::workspace_root();
    let path = std::env::join_paths([root.join("python"), site.to_path_buf()]).unwrap();
    Command::new(tools::python())
        .args(["-m", "portable_streams", "build"])
        .arg(app)
        .arg("-o")
        .arg(out)
        .env("PYTHONPATH", path)
        .output()
        .expect("run the build")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_build_bundles_lazy_imports_and_requirements_and_names_needed_native_code() {
    if !python::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    // lazylib imports a module of its own and its requirement only when
    // called; neither is imported by the program's top level.
    install_fake(
        &site,
        "lazylib",
        &[
            (
                "lazylib/__init__.py",
                "def greet():\n    from . import later\n    return later.WORD\n",
            ),
            (
                "lazylib/later.py",
                "import reqlib\nWORD = 'hello from ' + reqlib.NAME\n",
            ),
        ],
        &["reqlib", "neverlib; extra == 'never'"],
    );
    install_fake(
        &site,
        "reqlib",
        &[("reqlib/__init__.py", "NAME = 'reqlib'\n")],
        &[],
    );
    let app = dir.path().join("lazy_app.py");
    std::fs::write(&app, "import lazylib\nprint(lazylib.greet())\n").unwrap();
    let out = dir.path().join("lazy_app.wasm");
    let built = build(&site, &app, &out);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let config = portable_streams_host::run::RunConfig {
        backend: Backend::Native,
        policy: std::sync::Arc::new(Policy::deny_all()),
        args: args(&["lazy_app.py"]),
        env: Vec::new(),
        output: portable_streams_host::run::Output::Capture,
    };
    let engine = portable_streams_tests::engine();
    let component =
        portable_streams_host::run::prepare(engine, &std::fs::read(&out).unwrap(), Backend::Native)
            .unwrap();
    let outcome = portable_streams_host::run::run_component(engine, &component, &config)
        .await
        .unwrap();
    assert_eq!(
        lines(&outcome.stdout),
        ["hello from reqlib"],
        "{}",
        String::from_utf8_lossy(&outcome.stderr)
    );

    // nativelib cannot import without its extension: the build says so.
    install_fake(
        &site,
        "nativelib",
        &[
            ("nativelib/__init__.py", "from ._speed import fast\n"),
            (
                "nativelib/_speed.cpython-311-x86_64-linux-gnu.so",
                "not really a library",
            ),
        ],
        &[],
    );
    let app = dir.path().join("native_app.py");
    std::fs::write(&app, "import nativelib\n").unwrap();
    let built = build(&site, &app, &dir.path().join("native_app.wasm"));
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(!built.status.success(), "a needed native extension built");
    assert!(
        stderr.contains("nativelib ships native extensions")
            && stderr.contains("_speed.cpython-311-x86_64-linux-gnu.so"),
        "{stderr}"
    );
}
