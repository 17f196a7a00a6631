//! The command line: argument definitions and the commands behind them.

mod args;
mod commands;

pub use args::Cli;
pub use commands::execute;

/// `-v` turns on info logs, `-vv` debug, `-vvv` trace; `RUST_LOG` wins.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
