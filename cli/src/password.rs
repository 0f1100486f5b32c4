//! `djtoken password hash|check`: Django's password hashes from the command line.

use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};
use djtoken::hashers::{HasherKind, Hashers, is_password_usable};

use super::flags::{HashersArg, Layer, VersionArg, settings};
use super::layered::Layered;
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum PasswordCommand {
    /// Hash the password read from stdin (one trailing newline removed) as Django would.
    Hash {
        /// Algorithm (default: the first of PASSWORD_HASHERS).
        #[arg(long, env = "DJTOKEN_ALGORITHM")]
        algorithm: Option<String>,
        /// A fixed salt (default: 22 random characters, or a bcrypt salt).
        #[arg(long, env = "DJTOKEN_SALT", allow_hyphen_values = true)]
        salt: Option<String>,
        /// PBKDF2 iterations (default: that Django version's).
        #[arg(long, env = "DJTOKEN_ITERATIONS")]
        iterations: Option<u32>,
        #[command(flatten)]
        hashers: HasherArgs,
    },
    /// Check the password read from stdin against ENCODED: prints match, match-needs-rehash or
    /// mismatch; exits 0 on a match.
    Check {
        /// The encoded hash, exactly as stored.
        #[arg(allow_hyphen_values = true)]
        encoded: String,
        #[command(flatten)]
        hashers: HasherArgs,
    },
}

/// The Django version and `PASSWORD_HASHERS` whose behaviour to follow.
#[derive(Args, Clone, Debug)]
pub struct HasherArgs {
    #[command(flatten)]
    pub version: VersionArg,
    #[command(flatten)]
    pub hashers: HashersArg,
}

impl Layer for HasherArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        self.version.layer(to)?;
        self.hashers.layer(to)
    }
}

pub fn run(command: PasswordCommand) -> Result<Outcome, Fail> {
    match command {
        PasswordCommand::Hash {
            algorithm,
            salt,
            iterations,
            hashers,
        } => {
            let mut settings = settings(&[&hashers])?;
            // `--algorithm` alone means "that hasher, configured": add it to the version's
            // default list rather than demand a --password-hashers that names it.
            if let (Some(name), true) = (&algorithm, settings.password_hashers.is_empty()) {
                settings.password_hashers = settings
                    .version()
                    .profile()
                    .password_hashers
                    .iter()
                    .map(|kind| kind.algorithm().to_owned())
                    .chain(std::iter::once(name.clone()))
                    .collect();
            }
            let algorithm = match algorithm {
                Some(name) => name,
                None => settings.hashers()?.default_hasher().algorithm().to_owned(),
            };
            if let Some(n) = iterations {
                if n == 0 {
                    return Err(Fail("--iterations must be at least 1".into()));
                }
                if !algorithm.starts_with("pbkdf2_") {
                    return Err(Fail(format!(
                        "--iterations applies to pbkdf2_sha256 and pbkdf2_sha1, not {algorithm}"
                    )));
                }
                // The flag outranks the configuration's work factors for this hasher.
                settings
                    .password_hasher_params
                    .entry(algorithm.clone())
                    .or_default()
                    .iterations = Some(n);
            }
            let hashers: Hashers = settings.hashers()?;
            let password = read_password()?;
            let encoded = hashers
                .make_password(&password, salt.as_deref(), Some(&algorithm))
                .map_err(|e| Fail(e.to_string()))?;
            println!("{encoded}");
            Ok(Outcome::Yes)
        }
        PasswordCommand::Check { encoded, hashers } => {
            let hashers = settings(&[&hashers])?.hashers()?;
            match recognise(&hashers, &encoded) {
                Recognised::Configured | Recognised::Unusable => {}
                Recognised::NotConfigured(algorithm) => eprintln!(
                    "djtoken: {algorithm} is not in PASSWORD_HASHERS, so Django finds no hasher for it: mismatch"
                ),
                Recognised::NotAHash => {
                    return Err(Fail(
                        "that is not a Django password hash (algorithm$…, as the password column holds it)"
                            .into(),
                    ));
                }
            }
            let password = read_password()?;
            let check = hashers
                .check_password(&password, &encoded)
                .map_err(|e| Fail(e.to_string()))?;
            println!("{}", check.as_str());
            Ok(if check.is_correct {
                Outcome::Yes
            } else {
                Outcome::No
            })
        }
    }
}

/// What an encoded string is to the configured hashers.
enum Recognised {
    /// One of PASSWORD_HASHERS' algorithms.
    Configured,
    /// `!…`: `set_unusable_password()`.
    Unusable,
    /// A hash of an algorithm Django has, not in PASSWORD_HASHERS.
    NotConfigured(&'static str),
    /// Not a Django hash at all.
    NotAHash,
}

fn recognise(hashers: &Hashers, encoded: &str) -> Recognised {
    if !is_password_usable(Some(encoded)) {
        return Recognised::Unusable;
    }
    if hashers.identify_hasher(encoded).is_ok() {
        return Recognised::Configured;
    }
    let len = encoded.chars().count();
    let algorithm = if (len == 32 && !encoded.contains('$')) || encoded.starts_with("md5$$") {
        "unsalted_md5"
    } else if encoded.starts_with("sha1$$") {
        "unsalted_sha1"
    } else {
        encoded.split('$').next().unwrap_or("")
    };
    match HasherKind::from_algorithm(algorithm) {
        Some(kind) if encoded.contains('$') || len == 32 => {
            Recognised::NotConfigured(kind.algorithm())
        }
        _ => Recognised::NotAHash,
    }
}

/// The password: asked for without echo when stdin is a terminal (where an empty answer is
/// refused, as `createsuperuser` refuses it), else read from stdin exactly as given, one
/// trailing newline removed. An empty stdin is refused: a closed or forgotten pipe is a
/// mistake, not a password; the empty password itself is a lone newline.
pub fn read_password() -> Result<Vec<u8>, Fail> {
    let missing =
        || Fail("no password: pipe it on standard input, or run on a terminal to be asked".into());
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password("Password: ")
            .map_err(|e| Fail(format!("reading the password: {e}")))?;
        if password.is_empty() {
            return Err(missing());
        }
        return Ok(password.into_bytes());
    }
    let mut password = Vec::new();
    std::io::stdin()
        .read_to_end(&mut password)
        .map_err(|e| Fail(format!("reading the password from stdin: {e}")))?;
    if password.is_empty() {
        return Err(missing());
    }
    if password.last() == Some(&b'\n') {
        password.pop();
    }
    Ok(password)
}
