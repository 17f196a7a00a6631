//! Running a command component (one that exports `wasi:cli/run`, WASI 0.3
//! or 0.2) with portable:streams provided by either backend.

use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::compose::{ComposeError, compose_with_guest};
use crate::output::LineOutput;
use crate::policy::Policy;
use crate::sockets::SocketAccount;
use crate::state::{HostState, limited_store};

/// Which implementation of portable:streams a component gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The host's native implementation (tokio TCP and Unix sockets).
    Native,
    /// The guest component, composed in before running (wasi:sockets).
    #[default]
    Guest,
}

/// Which of a component's output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// Its stdout.
    Stdout,
    /// Its stderr.
    Stderr,
}

/// Called with the stream and the line for each line a component prints.
pub type OutputLines = Arc<dyn Fn(OutputStream, &str) + Send + Sync>;

/// Where the component's stdout and stderr go.
#[derive(Clone, Default)]
pub enum Output {
    /// This process's stdout and stderr.
    #[default]
    Inherit,
    /// Captured into [`RunOutcome`].
    Capture,
    /// Captured into [`RunOutcome`] and into pipes the caller holds, which
    /// it can read while the run goes on or after it was abandoned (a test
    /// that timed out shows what was printed).
    CaptureInto(Captured),
    /// Each line to a callback.
    Lines(OutputLines),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Output::Inherit => "Inherit",
            Output::Capture => "Capture",
            Output::CaptureInto(_) => "CaptureInto",
            Output::Lines(_) => "Lines",
        })
    }
}

/// Pipes that capture a run's stdout and stderr ([`Output::CaptureInto`]).
#[derive(Clone)]
pub struct Captured {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl Default for Captured {
    fn default() -> Self {
        Self {
            stdout: MemoryOutputPipe::new(usize::MAX),
            stderr: MemoryOutputPipe::new(usize::MAX),
        }
    }
}

impl Captured {
    /// What was printed so far: stdout, then stderr.
    pub fn contents(&self) -> (Vec<u8>, Vec<u8>) {
        (
            self.stdout.contents().to_vec(),
            self.stderr.contents().to_vec(),
        )
    }
}

/// How to run a component.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// The backend.
    pub backend: Backend,
    /// The sandbox policy.
    pub policy: Arc<Policy>,
    /// The program's arguments, including its name.
    pub args: Vec<String>,
    /// Environment variables for the program (beside the sandbox's caps).
    pub env: Vec<(String, String)>,
    /// Where output goes.
    pub output: Output,
}

/// What a finished run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The exit code: 0 for `Ok` from `run`, 1 for `Err`, or the code
    /// passed to `exit`.
    pub exit_code: i32,
    /// Captured stdout (empty unless [`Output::Capture`]).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty unless [`Output::Capture`]).
    pub stderr: Vec<u8>,
}

/// Why a component could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The bytes are not a component (or failed to compile).
    #[error("not a valid WebAssembly component: {0}")]
    InvalidComponent(String),
    /// Composing with the guest failed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// The component exports no `wasi:cli/run`.
    #[error("the component is not a command: it exports no wasi:cli/run (exports: {0})")]
    NotACommand(String),
    /// The component imports something neither WASI nor this host provides.
    #[error("the component cannot be linked: {0}")]
    Link(String),
    /// The component trapped.
    #[error("the component trapped: {0}")]
    Trap(String),
    /// The component ran past the policy's deadline and was stopped.
    #[error("the component ran past its deadline of {0:?} and was stopped")]
    Deadline(std::time::Duration),
}

/// Compiles `bytes` for `backend`: composed with the guest first for
/// [`Backend::Guest`].
pub fn prepare(engine: &Engine, bytes: &[u8], backend: Backend) -> Result<Component, RunError> {
    if !wasmparser::Parser::is_component(bytes) {
        return Err(RunError::InvalidComponent(
            "the file is not a binary WebAssembly component".into(),
        ));
    }
    let composed;
    let bytes = match backend {
        Backend::Native => bytes,
        // A component that does not import portable:streams (e.g. one
        // composed already) runs as it is.
        Backend::Guest => match compose_with_guest(bytes) {
            Ok(c) => {
                composed = c;
                &composed[..]
            }
            Err(ComposeError::NothingToPlug) => bytes,
            Err(e) => return Err(e.into()),
        },
    };
    Component::new(engine, bytes).map_err(|e| RunError::InvalidComponent(format!("{e:#}")))
}

/// A linker with WASI 0.2 and 0.3, plus the native portable:streams for
/// [`Backend::Native`].
pub fn linker(engine: &Engine, backend: Backend) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    // Every raw TCP socket under the store's account, as the native ones.
    crate::sockets::p2::add_to_linker(&mut linker)?;
    crate::sockets::p3::add_to_linker(&mut linker)?;
    if backend == Backend::Native {
        crate::native::add_to_linker(&mut linker)?;
    }
    Ok(linker)
}

/// Runs a compiled command component to completion.
pub async fn run_component(
    engine: &Engine,
    component: &Component,
    config: &RunConfig,
) -> Result<RunOutcome, RunError> {
    let linker = linker(engine, config.backend).map_err(|e| RunError::Link(format!("{e:#}")))?;
    let account = SocketAccount::new(&config.policy);
    let mut builder = crate::wasi::builder(config.policy.clone(), &config.args, &account);
    for (name, value) in &config.env {
        builder.env(name, value);
    }
    let pipes = match &config.output {
        Output::Inherit => {
            builder.inherit_stdio();
            None
        }
        Output::Capture => {
            let Captured { stdout, stderr } = Captured::default();
            builder.stdout(stdout.clone()).stderr(stderr.clone());
            Some((stdout, stderr))
        }
        Output::CaptureInto(Captured { stdout, stderr }) => {
            builder.stdout(stdout.clone()).stderr(stderr.clone());
            Some((stdout.clone(), stderr.clone()))
        }
        Output::Lines(callback) => {
            let (out, err) = (callback.clone(), callback.clone());
            builder
                .stdout(LineOutput::new(Arc::new(move |l| {
                    out(OutputStream::Stdout, l)
                })))
                .stderr(LineOutput::new(Arc::new(move |l| {
                    err(OutputStream::Stderr, l)
                })));
            None
        }
    };
    let state = HostState::new(builder.build(), config.policy.clone(), account);
    let mut store = limited_store(engine, state);
    let deadline = config.policy.component_limits().deadline;
    let version = command_version(engine, component)?;
    let running = async {
        Ok::<_, RunError>(match version {
            CliVersion::P3 => {
                let command = wasmtime_wasi::p3::bindings::Command::instantiate_async(
                    &mut store, component, &linker,
                )
                .await
                .map_err(link_error)?;
                store
                    .run_concurrent(async move |acc| command.wasi_cli_run().call_run(acc).await)
                    .await
                    .and_then(|r| r)
            }
            CliVersion::P2 => {
                let command = wasmtime_wasi::p2::bindings::Command::instantiate_async(
                    &mut store, component, &linker,
                )
                .await
                .map_err(link_error)?;
                command.wasi_cli_run().call_run(&mut store).await
            }
        })
    };
    // The epoch interrupts code that never yields; the timer, code that
    // waits.
    let result = match deadline {
        None => running.await?,
        Some(deadline) => tokio::time::timeout(deadline, running)
            .await
            .map_err(|_| RunError::Deadline(deadline))??,
    };
    let exit_code = match result {
        Ok(Ok(())) => 0,
        Ok(Err(())) => 1,
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            // The epoch's trap may arrive wrapped (with the wasm backtrace
            // as context): look through the whole chain.
            None if err.chain().any(|e| {
                e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt)
            }) =>
            {
                return Err(RunError::Deadline(deadline.unwrap_or_default()));
            }
            None => return Err(RunError::Trap(format!("{err:?}"))),
        },
    };
    let (stdout, stderr) = pipes
        .map(|(o, e)| (o.contents().to_vec(), e.contents().to_vec()))
        .unwrap_or_default();
    Ok(RunOutcome {
        exit_code,
        stdout,
        stderr,
    })
}

/// Compiles and runs `bytes` in one call.
pub async fn run(
    engine: &Engine,
    bytes: &[u8],
    config: &RunConfig,
) -> Result<RunOutcome, RunError> {
    let component = prepare(engine, bytes, config.backend)?;
    run_component(engine, &component, config).await
}

enum CliVersion {
    P2,
    P3,
}

fn command_version(engine: &Engine, component: &Component) -> Result<CliVersion, RunError> {
    let ty = component.component_type();
    let names: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    if names.iter().any(|n| n.starts_with("wasi:cli/run@0.3")) {
        Ok(CliVersion::P3)
    } else if names.iter().any(|n| n.starts_with("wasi:cli/run@0.2")) {
        Ok(CliVersion::P2)
    } else {
        Err(RunError::NotACommand(names.join(", ")))
    }
}

fn link_error(err: wasmtime::Error) -> RunError {
    RunError::Link(format!("{err:#}"))
}
