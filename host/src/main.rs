//! `portable-streams`: run, serve and compose components that use
//! asyncio-style streams.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The command runs on a worker of the runtime, not on this thread: a
    // worker woken by the I/O driver runs it at once, where this thread
    // would be woken by that worker (ping-pong p50 about a third lower).
    let command = runtime.spawn(cli::execute(args.command));
    let outcome = runtime
        .block_on(command)
        .map_err(anyhow::Error::from)
        .and_then(|result| result);
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
