//! `djtoken token make|check`: tokenapi and password-reset tokens from flags.

use std::io::Read;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Subcommand, ValueEnum};
use djtoken::auth::{AuthError, Authenticator};
use djtoken::clock::{Clock, TimeZone as Tz};
use djtoken::responses;
use djtoken::tokens::reset;
use djtoken::user::parse_wall_time;
use djtoken::{
    Algorithm, PasswordResetTokenGenerator, Pk, ResetTokenConfig, TokenapiTokenGenerator, User,
    Verdict,
};
use uuid::Uuid;

use super::flags::{
    HashersArg, Layer, ResetTimeoutArg, SecretArgs, StoreArgs, TimeZoneArg, TokenTimeoutArg,
    VersionArg, settings,
};
use super::password::read_password;
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Print a token for the user, as Django would make it now.
    Make(TokenArgs),
    /// Check a token: prints valid, expired, invalid or malformed; exits 0 only when valid.
    Check {
        /// The token to check; `-` reads it from stdin.
        token: String,
        #[command(flatten)]
        args: TokenArgs,
    },
    /// Log in as /token/new.json does (password from stdin) and print its JSON answer:
    /// {"token": …, "user": …, "success": true}. Exit 1 when the login fails.
    New {
        /// The USERNAME_FIELD value, exactly (no normalisation, as Django's login).
        #[arg(long, env = "DJTOKEN_USERNAME", allow_hyphen_values = true)]
        username: String,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Check a token against the user's row as `/token/<token>/<user>.json` does and print its
    /// JSON answer. Exit 1 when the token does not match.
    Verify {
        /// The user id, as it would appear in the URL.
        #[arg(long, allow_hyphen_values = true)]
        user: String,
        /// The token; `-` reads it from stdin.
        token: String,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

/// Everything a database-backed token command needs: the store, the keys, the clock, and the
/// Django version (whose presence allows rehashing on login).
#[derive(Args, Clone, Debug)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub time_zone: TimeZoneArg,
    #[command(flatten)]
    pub token_timeout: TokenTimeoutArg,
    #[command(flatten)]
    pub version: VersionArg,
    #[command(flatten)]
    pub hashers: HashersArg,
}

impl ServiceArgs {
    /// The authenticator these flags describe.
    pub async fn authenticator(&self) -> Result<Authenticator, Fail> {
        let layers: [&dyn Layer; 6] = [
            &self.store,
            &self.secrets,
            &self.time_zone,
            &self.token_timeout,
            &self.version,
            &self.hashers,
        ];
        Ok(settings(&layers)?.authenticator().await?)
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// django-tokenapi: days, HMAC-SHA1, TOKEN_TIMEOUT_DAYS.
    Tokenapi,
    /// django.contrib.auth.tokens.PasswordResetTokenGenerator: seconds, SHA-256.
    Reset,
}

/// How to read `--user-pk`; tokens only see `str(pk)`, so this only decides its spelling.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PkType {
    /// An integer is written in decimal, a UUID lower-case and hyphenated, anything else as is.
    Auto,
    /// An integer key (AutoField, BigAutoField).
    #[value(alias = "int", alias = "biginteger")]
    Integer,
    /// A UUIDField key.
    Uuid,
    /// A text key, used verbatim.
    #[value(alias = "str")]
    String,
}

#[derive(Args)]
pub struct TokenArgs {
    /// Token format.
    #[arg(long, value_enum, default_value = "tokenapi", env = "DJTOKEN_FORMAT")]
    format: Format,

    /// The user's primary key, as str(user.pk) writes it.
    #[arg(
        long = "user",
        alias = "user-pk",
        env = "DJTOKEN_USER_PK",
        allow_hyphen_values = true
    )]
    user_pk: String,

    /// How to read --user.
    #[arg(long, value_enum, default_value = "auto", env = "DJTOKEN_PK_TYPE")]
    pk_type: PkType,

    /// The user's encoded password hash, exactly as stored in the database.
    #[arg(long, env = "DJTOKEN_PASSWORD_HASH", allow_hyphen_values = true)]
    password_hash: String,

    /// The user's EMAIL_FIELD value (reset tokens).
    #[arg(
        long,
        env = "DJTOKEN_EMAIL",
        default_value = "",
        allow_hyphen_values = true
    )]
    email: String,

    /// The user's last_login (reset tokens), e.g. "2024-01-02 03:04:05.678901"; an offset is
    /// dropped without converting, as Django does. Absent: never logged in.
    #[arg(long, env = "DJTOKEN_LAST_LOGIN")]
    last_login: Option<String>,

    /// The time to act at instead of now: an RFC 3339 timestamp, or a date or naive
    /// datetime read as local time in --time-zone.
    #[arg(long, env = "DJTOKEN_NOW")]
    now: Option<String>,

    #[command(flatten)]
    time_zone: TimeZoneArg,

    #[command(flatten)]
    token_timeout: TokenTimeoutArg,

    #[command(flatten)]
    reset_timeout: ResetTimeoutArg,

    /// The timeout of either format, in its unit (the spelling of earlier releases).
    #[arg(long, hide = true, env = "DJTOKEN_TIMEOUT", allow_hyphen_values = true)]
    timeout: Option<i64>,

    /// Reset tokens: the generator's algorithm.
    #[arg(long, env = "DJTOKEN_ALGORITHM", default_value = "sha256")]
    algorithm: String,

    /// Reset tokens: the generator's key_salt.
    #[arg(long, env = "DJTOKEN_KEY_SALT", default_value = reset::KEY_SALT, allow_hyphen_values = true)]
    key_salt: String,

    /// Reset tokens: also accept what Django 3.2 accepts from 3.0/3.1 (SHA-1, day counts).
    #[arg(long, env = "DJTOKEN_LEGACY_TOKENS")]
    legacy_tokens: bool,

    #[command(flatten)]
    secrets: SecretArgs,
}

pub fn run(command: TokenCommand) -> Result<Outcome, Fail> {
    match command {
        TokenCommand::New { username, service } => super::block_on(async {
            let auth = service.authenticator().await?;
            let password = read_password()?;
            match auth.login(&username, &password).await {
                Ok(user) => {
                    println!(
                        "{}",
                        responses::token_created(&auth.tokens().make_token(&user), &user.pk)
                    );
                    Ok(Outcome::Yes)
                }
                Err(AuthError::Unavailable(e)) => Err(Fail(e.to_string())),
                Err(_) => {
                    println!("{}", responses::error(responses::LOGIN_FAILED));
                    Ok(Outcome::No)
                }
            }
        }),
        TokenCommand::Verify {
            user,
            token,
            service,
        } => super::block_on(async {
            let token = if token == "-" {
                read_stdin_token()?
            } else {
                token
            };
            let auth = service.authenticator().await?;
            match auth.check_token(&user, &token).await {
                Ok(_) => {
                    println!("{}", responses::SUCCESS);
                    Ok(Outcome::Yes)
                }
                Err(AuthError::Unavailable(e)) => Err(Fail(e.to_string())),
                Err(_) => {
                    println!("{}", responses::error(responses::TOKEN_MISMATCH));
                    Ok(Outcome::No)
                }
            }
        }),
        TokenCommand::Make(args) => {
            let token = Generator::from_args(&args)?.make(&user(&args)?);
            println!("{token}");
            Ok(Outcome::Yes)
        }
        TokenCommand::Check { token, args } => {
            let token = if token == "-" {
                read_stdin_token()?
            } else {
                token
            };
            let verdict = Generator::from_args(&args)?.check(&user(&args)?, &token);
            println!("{verdict}");
            Ok(if verdict == Verdict::Valid {
                Outcome::Yes
            } else {
                Outcome::No
            })
        }
    }
}

enum Generator {
    Tokenapi(TokenapiTokenGenerator),
    Reset(PasswordResetTokenGenerator),
}

impl Generator {
    fn from_args(args: &TokenArgs) -> Result<Self, Fail> {
        let settings = settings(&[
            &args.time_zone,
            &args.secrets,
            &args.token_timeout,
            &args.reset_timeout,
        ])?;
        let tz = settings.time_zone()?;
        let clock = match &args.now {
            Some(text) => Clock::fixed(parse_now(text, tz)?, tz),
            None => Clock::system(tz),
        };
        let secrets = settings.secret_keys()?;
        Ok(match args.format {
            Format::Tokenapi => Generator::Tokenapi(
                TokenapiTokenGenerator::new(&secrets)
                    .with_timeout_days(args.timeout.unwrap_or(settings.token_timeout_days))
                    .with_clock(clock),
            ),
            Format::Reset => {
                let algorithm: Algorithm = args
                    .algorithm
                    .parse()
                    .map_err(|e| Fail(format!("--algorithm: {e}")))?;
                let config = ResetTokenConfig {
                    key_salt: args.key_salt.clone(),
                    algorithm,
                    timeout_seconds: args.timeout.unwrap_or(settings.password_reset_timeout),
                    legacy_tokens: args.legacy_tokens,
                };
                Generator::Reset(
                    PasswordResetTokenGenerator::new(&secrets, config).with_clock(clock),
                )
            }
        })
    }

    fn make(&self, user: &User) -> String {
        match self {
            Generator::Tokenapi(g) => g.make_token(user),
            Generator::Reset(g) => g.make_token(user),
        }
    }

    fn check(&self, user: &User, token: &str) -> Verdict {
        match self {
            Generator::Tokenapi(g) => g.check(user, token),
            Generator::Reset(g) => g.check(user, token),
        }
    }
}

fn user(args: &TokenArgs) -> Result<User, Fail> {
    let pk = parse_pk(&args.user_pk, args.pk_type)?;
    let last_login = match &args.last_login {
        Some(text) => Some(parse_wall_time(text).map_err(|e| Fail(format!("--last-login: {e}")))?),
        None => None,
    };
    Ok(User::new(pk, args.password_hash.clone())
        .with_email(args.email.clone())
        .with_last_login(last_login))
}

fn parse_pk(text: &str, kind: PkType) -> Result<Pk, Fail> {
    let int = || text.parse::<i64>().map(Pk::Int);
    let uuid = || Uuid::parse_str(text).map(Pk::Uuid);
    match kind {
        PkType::Auto => Ok(int()
            .or_else(|_| uuid())
            .unwrap_or_else(|_| Pk::Str(text.to_owned()))),
        PkType::Integer => {
            int().map_err(|_| Fail(format!("--user-pk: {text:?} is not a 64-bit integer")))
        }
        PkType::Uuid => uuid().map_err(|_| Fail(format!("--user-pk: {text:?} is not a UUID"))),
        PkType::String => Ok(Pk::Str(text.to_owned())),
    }
}

/// RFC 3339, or a date / naive datetime in the configured zone.
fn parse_now(text: &str, tz: Tz) -> Result<DateTime<Utc>, Fail> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.with_timezone(&Utc));
    }
    let local: NaiveDateTime = if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
    {
        date.and_hms_opt(0, 0, 0).expect("midnight is a time")
    } else {
        parse_wall_time(text).map_err(|_| {
            Fail(format!(
                "--now: {text:?} is not an RFC 3339 timestamp (2025-01-01T12:00:00Z) or a date (2025-01-01)"
            ))
        })?
    };
    tz.from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| Fail(format!("--now: {text} does not exist in {tz} (a DST gap)")))
}

fn read_stdin_token() -> Result<String, Fail> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Fail(format!("reading the token from stdin: {e}")))?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_owned())
}
