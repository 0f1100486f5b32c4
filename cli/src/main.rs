//! The `djtoken` command: tokens, passwords and users the way Django makes them.
//!
//! Command-line front: argument parsing, secrets from files or the environment, exit codes.
//!
//! Exit status: 0 means yes / done; 1 means a clear "no" (an invalid token, a wrong
//! password); 2 means the command could not run as asked (bad flags, a missing key, bad
//! input), always with a one-line message on stderr.

mod config;
mod db;
mod drf;
mod flags;
mod jwt;
mod knox;
mod layered;
mod password;
mod serve;
mod session;
mod signing;
mod token;

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Django's authentication dialect: tokens, passwords and users.
#[derive(Parser)]
#[command(name = "djtoken", version, about, max_term_width = 100)]
struct Cli {
    /// The configuration file (djtoken.toml: Django's setting names). Default: ./djtoken.toml
    /// when it exists. Flags and DJTOKEN_* variables override what it says.
    #[arg(long, global = true, env = "DJTOKEN_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make and check tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Hash and check passwords as Django's hashers do.
    #[command(subcommand)]
    Password(password::PasswordCommand),
    /// Users in Django's user table.
    #[command(subcommand)]
    User(db::UserCommand),
    /// The database itself.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Serve the tokenapi endpoints and forward auth over HTTP.
    Serve(Box<serve::ServeArgs>),
    /// The configuration in force.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Django's sessions: log in, check, show, delete.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// django.core.signing: dumps, loads, sign, unsign.
    #[command(subcommand)]
    Signing(signing::SigningCommand),
    /// Django REST framework's TokenAuthentication keys: get (or create), check.
    #[command(subcommand, name = "drf-token")]
    DrfToken(drf::DrfTokenCommand),
    /// djangorestframework-simplejwt's tokens: obtain, refresh, verify.
    #[command(subcommand)]
    Jwt(jwt::JwtCommand),
    /// django-rest-knox's tokens: create, check, revoke.
    #[command(subcommand)]
    Knox(knox::KnoxCommand),
}

/// A failure that ends the command with exit status 2 and a one-line message.
#[derive(Debug)]
pub struct Fail(pub String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string())
    }
}

/// How a command ended when it ran.
pub enum Outcome {
    /// Exit 0.
    Yes,
    /// Exit 1.
    No,
}

// The server allocates small buffers on one thread and frees them on another (a PostgreSQL
// row arrives on the connection's task, the request that asked for it runs elsewhere);
// mimalloc handles that pattern with a fraction of glibc malloc's cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => return clap_error(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    layered::remember(cli.config.clone(), &matches);
    let result = match cli.command {
        Command::Token(cmd) => token::run(cmd),
        Command::Password(cmd) => password::run(cmd),
        Command::User(cmd) => db::run_user(cmd),
        Command::Db(cmd) => db::run_db(cmd),
        Command::Serve(args) => serve::run(*args),
        Command::Config(cmd) => config::run(cmd),
        Command::Signing(cmd) => signing::run(cmd),
        Command::Session(cmd) => session::run(cmd),
        Command::DrfToken(cmd) => drf::run(cmd),
        Command::Jwt(cmd) => jwt::run(cmd),
        Command::Knox(cmd) => knox::run(cmd),
    };
    match result {
        Ok(Outcome::Yes) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Err(Fail(message)) => {
            eprintln!("djtoken: {}", one_line(&message));
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout as clap writes them; every other parse error becomes one
/// line naming what is wrong.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // The first paragraph names the problem; usage and tips follow a blank line.
            let rendered = e.render().to_string();
            let paragraph: Vec<&str> = rendered
                .trim_start()
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let message = paragraph.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            // clap's "did you mean", and the help of the command that was being parsed.
            let tips: String = rendered
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip:"))
                .map(|l| format!("; {l}"))
                .collect();
            let command = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage: "))
                .map(|usage| {
                    usage
                        .split_whitespace()
                        .take_while(|w| !w.starts_with(['[', '<', '-']))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "djtoken".to_owned());
            eprintln!("djtoken: {message}{tips} (see {command} --help)");
            ExitCode::from(2)
        }
    }
}

/// Run a future to completion on a small runtime (database commands are async inside).
pub fn block_on<T>(future: impl std::future::Future<Output = Result<T, Fail>>) -> Result<T, Fail> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(format!("starting the async runtime: {e}")))?
        .block_on(future)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
