//! `djtoken drf-token get|check`: Django REST framework's `TokenAuthentication` keys
//! (`authtoken_token`) from the command line.

use clap::{Args, Subcommand};
use djtoken::drf;
use djtoken::store::NaiveTimes;

use super::flags::{StoreArgs, TimeZoneArg, settings};
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum DrfTokenCommand {
    /// Print the user's key, creating it as `Token.objects.get_or_create(user=…)` does when
    /// there is none (no password is checked: the caller's).
    Get {
        /// The user's USERNAME_FIELD.
        #[arg(long)]
        username: String,
        #[command(flatten)]
        common: Common,
    },
    /// Whose key it is, as `TokenAuthentication` decides: print the user's pk and exit 0, or
    /// DRF's message (`Invalid token.`, `User inactive or deleted.`) on stderr and exit 1.
    Check {
        /// The key.
        key: String,
        #[command(flatten)]
        common: Common,
    },
}

/// The database, and the time zone `created` is written in.
#[derive(Args, Clone, Debug)]
pub struct Common {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    time_zone: TimeZoneArg,
}

pub fn run(cmd: DrfTokenCommand) -> Result<Outcome, Fail> {
    super::block_on(async {
        match cmd {
            DrfTokenCommand::Get { username, common } => {
                let settings = settings(&[&common.store, &common.time_zone])?;
                let store = settings.store().await?;
                let Some(user) = store.user_by_username(&username).await? else {
                    return Err(Fail(format!("no user {username:?}")));
                };
                let times = NaiveTimes {
                    use_tz: settings.use_tz,
                    time_zone: settings.time_zone()?,
                };
                let key = drf::key_for(&store, &user, chrono::Utc::now(), times).await?;
                println!("{key}");
                Ok(Outcome::Yes)
            }
            DrfTokenCommand::Check { key, common } => {
                let settings = settings(&[&common.store, &common.time_zone])?;
                let store = settings.store().await?;
                match drf::user_of_key(&store, &key).await? {
                    Ok(user) => {
                        println!("{}", user.pk);
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
