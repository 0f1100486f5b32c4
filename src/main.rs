//! The `djtoken` command: tokens, passwords and users the way Django makes them.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
