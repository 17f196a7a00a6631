//! The commands behind the arguments.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use portable_streams_host::compose::compose_with_guest;
use portable_streams_host::engine::{Allocation, new_engine, new_interruptible_engine};
use portable_streams_host::limits::ComponentLimits;
use portable_streams_host::policy::Policy;
use portable_streams_host::run::{Backend, Output, RunConfig, prepare, run};
use portable_streams_host::serve::{ServeConfig, serve};

use super::args::{BackendArg, Command, ComposeArgs, PolicyArgs, RunArgs, ServeArgs};

/// Runs one command; the exit code is the component's for `run`.
pub async fn execute(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run(args) => run_command(args).await,
        Command::Serve(args) => serve_command(args).await,
        Command::Compose(args) => compose_command(args),
    }
}

fn read_component(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Builds the policy from the command line.
pub fn policy(args: &PolicyArgs) -> Result<Policy> {
    let mut policy = Policy::deny_all();
    for rule in &args.allow_connect {
        policy = policy.allow_connect(rule)?;
    }
    for rule in &args.allow_listen {
        policy = policy.allow_listen(rule)?;
    }
    for dir in &args.allow_unix {
        policy = policy.allow_unix(dir)?;
    }
    if let Some(max) = args.max_connections.get() {
        policy = policy.with_max_connections(max);
    }
    if let Some(max) = args.max_listeners.get() {
        policy = policy.with_max_listeners(max);
    }
    if let Some(max) = args.max_write_buffer.get() {
        policy = policy.with_max_write_buffer(max);
    }
    if let Some(max) = args.max_buffered.get() {
        policy = policy.with_max_buffered(max);
    }
    if let Some(max) = args.max_read_buffer.get() {
        policy = policy.with_max_read_buffer(max);
    }
    let limits = ComponentLimits {
        memory: args.max_memory.unwrap_or(ComponentLimits::UNTRUSTED.memory),
        ..ComponentLimits::UNTRUSTED
    };
    Ok(policy.with_component_limits(limits))
}

/// `--deadline SECONDS` as a duration: a positive number.
/// A flag's positive number of seconds as a duration.
fn seconds(flag: &str, secs: Option<f64>) -> Result<Option<std::time::Duration>> {
    let Some(secs) = secs else {
        return Ok(None);
    };
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{flag} takes a positive number of seconds, not {secs}"))
}

fn deadline(secs: Option<f64>) -> Result<Option<std::time::Duration>> {
    seconds("--deadline", secs)
}

fn with_deadline(policy: Policy, deadline: Option<std::time::Duration>) -> Policy {
    let limits = ComponentLimits {
        deadline,
        ..*policy.component_limits()
    };
    policy.with_component_limits(limits)
}

async fn run_command(args: RunArgs) -> Result<ExitCode> {
    let bytes = read_component(&args.component)?;
    let deadline = deadline(args.deadline)?;
    let policy = with_deadline(policy(&args.policy)?, deadline);
    let engine = match deadline {
        Some(_) => new_interruptible_engine(Allocation::OnDemand),
        None => new_engine(Allocation::OnDemand),
    }
    .map_err(|e| anyhow::anyhow!("cannot set up wasmtime: {e:#}"))?;
    let name = args.component.display().to_string();
    let config = RunConfig {
        backend: match args.backend {
            BackendArg::Native => Backend::Native,
            BackendArg::Guest => Backend::Guest,
        },
        policy: Arc::new(policy),
        args: std::iter::once(name).chain(args.args).collect(),
        env: args.env,
        output: Output::Inherit,
    };
    let outcome = run(&engine, &bytes, &config).await?;
    Ok(ExitCode::from(u8::try_from(outcome.exit_code).unwrap_or(1)))
}

async fn serve_command(args: ServeArgs) -> Result<ExitCode> {
    let bytes = read_component(&args.component)?;
    let deadline = deadline(args.deadline)?;
    if deadline.is_some() && args.shared_instance {
        anyhow::bail!(
            "--deadline applies per connection; it cannot be combined with --shared-instance"
        );
    }
    let build = |allocation| match deadline {
        Some(_) => new_interruptible_engine(allocation),
        None => new_engine(allocation),
    };
    let policy = with_deadline(policy(&args.policy)?, deadline);
    let max_instances = portable_streams_host::system::fit_instances(args.max_instances);
    let pooled = Allocation::Pooling {
        max_instances,
        max_memory: policy.component_limits().memory,
    };
    // Without a pool (no address space for it), instances are allocated
    // on demand; the same count still bounds how many run at once.
    let engine = match build(pooled) {
        Ok(engine) => engine,
        Err(error) => {
            tracing::warn!("pooling allocator unavailable ({error:#}); allocating on demand");
            build(Allocation::OnDemand)
                .map_err(|e| anyhow::anyhow!("cannot set up wasmtime: {e:#}"))?
        }
    };
    let component = prepare(&engine, &bytes, Backend::Native)?;
    let config = ServeConfig {
        listen: args.listen,
        shared_instance: args.shared_instance,
        policy: Arc::new(policy),
        grace_period: std::time::Duration::from_secs(args.grace_period),
        max_instances: Some(max_instances),
        idle_timeout: seconds("--idle-timeout", args.idle_timeout)?,
        reuse_port: args.reuse_port,
    };
    serve(&engine, &component, config).await?;
    Ok(ExitCode::SUCCESS)
}

fn compose_command(args: ComposeArgs) -> Result<ExitCode> {
    let bytes = read_component(&args.client)?;
    let composed = compose_with_guest(&bytes)?;
    std::fs::write(&args.output, &composed)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {} ({} bytes): run it with `wasmtime run -S p3 -S inherit-network -W component-model-async {}`",
        args.output.display(),
        composed.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
