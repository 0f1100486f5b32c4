//! The `djtoken` command: tokens, passwords and users the way Django makes them.

mod cli;

use std::process::ExitCode;

// The server allocates small buffers on one thread and frees them on another (a PostgreSQL
// row arrives on the connection's task, the request that asked for it runs elsewhere);
// mimalloc handles that pattern with a fraction of glibc malloc's cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
