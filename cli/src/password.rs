//! `djtoken password hash|check`: Django's password hashes from the command line.

use std::io::Read;

use clap::{Args, Subcommand};
use djtoken::DjangoVersion;
use djtoken::hashers::{HasherSettings, Hashers};

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
    /// Django version whose defaults (work factors, PASSWORD_HASHERS) apply.
    #[arg(long, env = "DJTOKEN_DJANGO_VERSION", default_value = "6.1")]
    pub django_version: DjangoVersion,
    /// PASSWORD_HASHERS, comma-separated class paths or algorithm names, preferred first
    /// (default: that version's).
    #[arg(long, env = "DJTOKEN_PASSWORD_HASHERS", value_delimiter = ',')]
    pub password_hashers: Vec<String>,
}

impl HasherArgs {
    pub fn build(&self, settings: HasherSettings) -> Result<Hashers, Fail> {
        let names: Vec<&str> = self.password_hashers.iter().map(String::as_str).collect();
        Hashers::new(settings, (!names.is_empty()).then_some(&names[..]))
            .map_err(|e| Fail(format!("--password-hashers: {e}")))
    }
}

pub fn run(command: PasswordCommand) -> Result<Outcome, Fail> {
    match command {
        PasswordCommand::Hash {
            algorithm,
            salt,
            iterations,
            mut hashers,
        } => {
            let mut settings = HasherSettings::for_version(hashers.django_version);
            if let Some(n) = iterations {
                if n == 0 {
                    return Err(Fail("--iterations must be at least 1".into()));
                }
                settings.pbkdf2_iterations = n;
            }
            // `--algorithm` alone means "that hasher, configured": add it to the version's
            // default list rather than demand a --password-hashers that names it.
            if let (Some(name), true) = (&algorithm, hashers.password_hashers.is_empty()) {
                hashers.password_hashers = settings
                    .version
                    .profile()
                    .password_hashers
                    .iter()
                    .map(|kind| kind.algorithm().to_owned())
                    .chain(std::iter::once(name.clone()))
                    .collect();
            }
            let hashers = hashers.build(settings)?;
            let algorithm =
                algorithm.unwrap_or_else(|| hashers.default_hasher().algorithm().to_owned());
            if iterations.is_some() && !algorithm.starts_with("pbkdf2_") {
                return Err(Fail(format!(
                    "--iterations applies to pbkdf2_sha256 and pbkdf2_sha1, not {algorithm}"
                )));
            }
            let password = read_password()?;
            let encoded = hashers
                .make_password(&password, salt.as_deref(), Some(&algorithm))
                .map_err(|e| Fail(e.to_string()))?;
            println!("{encoded}");
            Ok(Outcome::Yes)
        }
        PasswordCommand::Check { encoded, hashers } => {
            let hashers = hashers.build(HasherSettings::for_version(hashers.django_version))?;
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

/// The password exactly as given on stdin, one trailing newline removed.
pub fn read_password() -> Result<Vec<u8>, Fail> {
    let mut password = Vec::new();
    std::io::stdin()
        .read_to_end(&mut password)
        .map_err(|e| Fail(format!("reading the password from stdin: {e}")))?;
    if password.last() == Some(&b'\n') {
        password.pop();
    }
    Ok(password)
}
