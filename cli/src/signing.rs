//! `djtoken signing dumps|loads|sign|unsign`: `django.core.signing` from the command line,
//! with the configured `SECRET_KEY`, `SECRET_KEY_FALLBACKS` and Django version.

use std::io::Read;

use clap::{Args, Subcommand};
use djtoken::signing::{self, SignerOptions, SigningError, TimestampSigner, json};

use super::flags::{SecretArgs, VersionArg, settings};
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum SigningCommand {
    /// `signing.dumps`: print the signed form of a JSON value.
    Dumps {
        /// The value, as JSON; `-` reads it from stdin.
        value: String,
        /// Compress with zlib when that is shorter, as `compress=True`.
        #[arg(long)]
        compress: bool,
        #[command(flatten)]
        common: Common,
    },
    /// `signing.loads`: print the JSON value of a signed string (exit 1 when the signature
    /// does not match or is too old).
    Loads {
        /// The signed string; `-` reads it from stdin.
        value: String,
        /// Refuse a signature older than this many seconds.
        #[arg(long, value_name = "SECONDS")]
        max_age: Option<f64>,
        #[command(flatten)]
        common: Common,
    },
    /// `Signer().sign` (`TimestampSigner` with --timestamp): print the signed string.
    Sign {
        /// The value; `-` reads it from stdin.
        value: String,
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// `Signer().unsign`: print the value (exit 1 when the signature does not match or is
    /// too old).
    Unsign {
        /// The signed string; `-` reads it from stdin.
        value: String,
        /// Refuse a signature older than this many seconds (with --timestamp).
        #[arg(long, value_name = "SECONDS", requires = "timestamp")]
        max_age: Option<f64>,
        #[command(flatten)]
        signer: SignerArgs,
    },
}

/// The keys and the version, and the salt.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// The salt [default: django.core.signing].
    #[arg(long)]
    salt: Option<String>,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    version: VersionArg,
}

#[derive(Args, Clone, Debug)]
pub struct SignerArgs {
    /// The salt [default: the class path, django.core.signing.Signer or TimestampSigner].
    #[arg(long)]
    salt: Option<String>,
    /// The separator.
    #[arg(long, default_value = ":")]
    sep: String,
    /// A TimestampSigner: a base62 timestamp between the value and the signature.
    #[arg(long)]
    timestamp: bool,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    version: VersionArg,
}

fn read_value(value: String) -> Result<String, Fail> {
    if value != "-" {
        return Ok(value);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Fail(format!("reading stdin: {e}")))?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_owned())
}

/// `time.time()`.
fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

/// Refusals are a "no" (exit 1, with Django's exception name); malformed input is exit 2.
fn refusal(e: SigningError) -> Result<Outcome, Fail> {
    match e {
        SigningError::Expired { .. } => {
            eprintln!("SignatureExpired: {e}");
            Ok(Outcome::No)
        }
        e if e.is_bad_signature() => {
            eprintln!("BadSignature: {e}");
            Ok(Outcome::No)
        }
        e => Err(Fail(e.to_string())),
    }
}

pub fn run(cmd: SigningCommand) -> Result<Outcome, Fail> {
    match cmd {
        SigningCommand::Dumps {
            value,
            compress,
            common,
        } => {
            let settings = settings(&[&common.secrets, &common.version])?;
            let value: serde_json::Value = serde_json::from_str(&read_value(value)?)
                .map_err(|e| Fail(format!("the value is not JSON: {e}")))?;
            let salt = common
                .salt
                .as_deref()
                .unwrap_or(signing::DEFAULT_DUMPS_SALT);
            println!(
                "{}",
                signing::dumps(
                    &value,
                    &settings.secret_keys()?,
                    settings.version(),
                    salt,
                    compress,
                    now() as i64
                )
            );
            Ok(Outcome::Yes)
        }
        SigningCommand::Loads {
            value,
            max_age,
            common,
        } => {
            let settings = settings(&[&common.secrets, &common.version])?;
            let salt = common
                .salt
                .as_deref()
                .unwrap_or(signing::DEFAULT_DUMPS_SALT);
            let signed = read_value(value)?;
            match signing::loads(
                &signed,
                &settings.secret_keys()?,
                settings.version(),
                salt,
                max_age,
                now(),
            ) {
                Ok(value) => {
                    println!(
                        "{}",
                        String::from_utf8(json::dumps(&value)).expect("ASCII JSON")
                    );
                    Ok(Outcome::Yes)
                }
                Err(e) => refusal(e),
            }
        }
        SigningCommand::Sign { value, signer } => {
            let (signer_, timestamp) = build(&signer)?;
            let value = read_value(value)?;
            let signed = if timestamp {
                signer_.sign(&value, now() as i64)
            } else {
                signer_.signer().sign(&value)
            };
            println!("{signed}");
            Ok(Outcome::Yes)
        }
        SigningCommand::Unsign {
            value,
            max_age,
            signer,
        } => {
            let (signer_, timestamp) = build(&signer)?;
            let signed = read_value(value)?;
            let result = if timestamp {
                signer_.unsign(&signed, max_age, now()).map(|(v, _)| v)
            } else {
                signer_.signer().unsign(&signed)
            };
            match result {
                Ok(value) => {
                    println!("{value}");
                    Ok(Outcome::Yes)
                }
                Err(e) => refusal(e),
            }
        }
    }
}

/// The signer the flags describe (a `TimestampSigner` underneath either way: a plain
/// `Signer` is its inner signer, with `Signer`'s default salt).
fn build(args: &SignerArgs) -> Result<(TimestampSigner, bool), Fail> {
    let settings = settings(&[&args.secrets, &args.version])?;
    let salt = args.salt.clone().unwrap_or_else(|| {
        if args.timestamp {
            signing::TIMESTAMP_SIGNER_SALT
        } else {
            signing::SIGNER_SALT
        }
        .to_owned()
    });
    let options = SignerOptions {
        salt: Some(salt),
        sep: args.sep.clone(),
        ..SignerOptions::default()
    };
    let signer = TimestampSigner::new(&settings.secret_keys()?, settings.version(), options)
        .map_err(|e| Fail(e.to_string()))?;
    Ok((signer, args.timestamp))
}
