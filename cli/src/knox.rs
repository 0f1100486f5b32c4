//! `djtoken knox create|check|revoke`: django-rest-knox's tokens (`knox_authtoken`) from the
//! command line, with the configuration's `[REST_KNOX]`.

use clap::{Args, Subcommand};
use djtoken::knox;
use djtoken::store::{Database, NaiveTimes};

use super::flags::{StoreArgs, TimeZoneArg, settings};
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum KnoxCommand {
    /// Make a token for the user as `AuthToken.objects.create(user)` does (TOKEN_TTL,
    /// TOKEN_PREFIX) and print it (no password is checked: the caller's).
    Create {
        /// The user's USERNAME_FIELD.
        #[arg(long)]
        username: String,
        #[command(flatten)]
        common: Common,
    },
    /// Whose token it is, as knox's `TokenAuthentication` decides (expired tokens deleted,
    /// AUTO_REFRESH applied): print the user's pk and exit 0, or knox's message on stderr and
    /// exit 1.
    Check {
        /// The token.
        token: String,
        #[command(flatten)]
        common: Common,
    },
    /// Delete the token, as `LogoutView` does (exit 1 when knox would not accept it).
    Revoke {
        /// The token.
        token: String,
        #[command(flatten)]
        common: Common,
    },
}

/// The database, and the time zone `created` and `expiry` are written in.
#[derive(Args, Clone, Debug)]
pub struct Common {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    time_zone: TimeZoneArg,
}

async fn open(common: &Common) -> Result<(knox::Config, Database, NaiveTimes), Fail> {
    let settings = settings(&[&common.store, &common.time_zone])?;
    let config = settings.rest_knox.config()?;
    let times = NaiveTimes {
        use_tz: settings.use_tz,
        time_zone: settings.time_zone()?,
    };
    Ok((config, settings.store().await?, times))
}

pub fn run(cmd: KnoxCommand) -> Result<Outcome, Fail> {
    super::block_on(async {
        let now = chrono::Utc::now();
        match cmd {
            KnoxCommand::Create { username, common } => {
                let (config, store, times) = open(&common).await?;
                let Some(user) = store.user_by_username(&username).await? else {
                    return Err(Fail(format!("no user {username:?}")));
                };
                let (token, _) = knox::create_token(&store, &config, &user, now, times).await?;
                println!("{token}");
                Ok(Outcome::Yes)
            }
            KnoxCommand::Check { token, common } => {
                let (config, store, times) = open(&common).await?;
                match knox::authenticate(&store, &config, &token, now, times).await? {
                    Ok((user, _)) => {
                        println!("{}", user.pk);
                        Ok(Outcome::Yes)
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        Ok(Outcome::No)
                    }
                }
            }
            KnoxCommand::Revoke { token, common } => {
                let (config, store, times) = open(&common).await?;
                match knox::authenticate(&store, &config, &token, now, times).await? {
                    Ok((_, digest)) => {
                        knox::logout(&store, &digest, times).await?;
                        Ok(Outcome::Yes)
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        Ok(Outcome::No)
                    }
                }
            }
        }
    })
}
