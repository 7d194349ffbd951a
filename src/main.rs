//! The `ticketing` executable: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the server allocates small, short-lived buffers per request from
/// several threads; glibc's allocator spent a sixth of the CPU on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = ticketing::cli::Cli::parse();
    ticketing::cli::init_tracing(&cli);
    // Blocking work is password hashing (19 MiB each) and the CLI; a small cap
    // keeps memory bounded under a burst of sign-ins.
    let runtime = match tokio::runtime::Builder::new_multi_thread().max_blocking_threads(8).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ticketing::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
