//! `djtoken jwt obtain|refresh|verify`: djangorestframework-simplejwt's tokens from the
//! command line, with the configuration's `[SIMPLE_JWT]` (and its blacklist tables when
//! `BLACKLIST_APP` is set).

use clap::{Args, Subcommand};
use djtoken::simplejwt::{self, views::View};
use djtoken::store::NaiveTimes;

use super::flags::{SecretArgs, StoreArgs, TimeZoneArg, settings};
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum JwtCommand {
    /// Print a refresh and access token pair for the user as `TokenObtainPairView` answers
    /// (`{"refresh": …, "access": …}`), recorded as outstanding when the blacklist app is
    /// installed (no password is checked: the caller's).
    Obtain {
        /// The user's USERNAME_FIELD.
        #[arg(long)]
        username: String,
        #[command(flatten)]
        common: Common,
    },
    /// Refresh as `TokenRefreshView` does: print its answer (`{"access": …}`, with a new
    /// refresh token under ROTATE_REFRESH_TOKENS) and exit 0, or its message on stderr and
    /// exit 1.
    Refresh {
        /// The refresh token.
        token: String,
        #[command(flatten)]
        common: Common,
    },
    /// Check a token of any type as `TokenVerifyView` does: print its claims and exit 0, or
    /// the message on stderr and exit 1.
    Verify {
        /// The token.
        token: String,
        #[command(flatten)]
        common: Common,
    },
}

/// The keys, the database, and the time zone the blacklist's times are written in.
#[derive(Args, Clone, Debug)]
pub struct Common {
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    time_zone: TimeZoneArg,
}

/// The answer's body for a 200, or its message.
fn message_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("detail")
                .or_else(|| v.get("non_field_errors").and_then(|e| e.get(0)))
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.to_owned())
}

pub fn run(cmd: JwtCommand) -> Result<Outcome, Fail> {
    super::block_on(async {
        let (JwtCommand::Obtain { common, .. }
        | JwtCommand::Refresh { common, .. }
        | JwtCommand::Verify { common, .. }) = &cmd;
        let settings = settings(&[&common.secrets, &common.store, &common.time_zone])?;
        let config = settings.simplejwt_config()?;
        let store = settings.store().await?;
        let times = NaiveTimes {
            use_tz: settings.use_tz,
            time_zone: settings.time_zone()?,
        };
        let now = chrono::Utc::now().timestamp_micros();
        let (status, body) = match &cmd {
            JwtCommand::Obtain { username, .. } => {
                let Some(user) = store.user_by_username(username).await? else {
                    return Err(Fail(format!("no user {username:?}")));
                };
                simplejwt::obtain_answer(&store, &config, Some(&user), now, times).await?
            }
            JwtCommand::Refresh { token, .. } => {
                simplejwt::answer(View::Refresh, &store, &config, token, now, times).await?
            }
            JwtCommand::Verify { token, .. } => {
                let (status, body) =
                    simplejwt::answer(View::Verify, &store, &config, token, now, times).await?;
                if status != 200 {
                    (status, body)
                } else {
                    // Valid: its claims.
                    let token = simplejwt::Token::decode(
                        &config,
                        simplejwt::TokenType::Untyped,
                        token.as_bytes(),
                        now,
                    )
                    .map_err(|e| Fail(e.message(config.version)))?;
                    (200, serde_json::Value::Object(token.payload).to_string())
                }
            }
        };
        if status == 200 {
            println!("{body}");
            Ok(Outcome::Yes)
        } else {
            eprintln!("{}", message_of(&body));
            Ok(Outcome::No)
        }
    })
}
