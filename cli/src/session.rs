//! `djtoken session new|check|show|delete`: Django's sessions from the command line, over the
//! configured `SESSION_ENGINE`, with the configured keys and Django version.

use clap::{Args, Subcommand};
use djtoken::sessions::SessionAuth;

use super::flags::{SecretArgs, SessionArgs, StoreArgs, VersionArg, settings};
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Log a user in as `django.contrib.auth.login` does: print the new session cookie's
    /// value (the session key; for signed_cookies, the signed session).
    New {
        /// The user's USERNAME_FIELD.
        #[arg(long)]
        username: String,
        /// The backend recorded in the session [default: the first of
        /// AUTHENTICATION_BACKENDS].
        #[arg(long)]
        backend: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Who a session cookie belongs to, as Django's `get_user` decides: print the user's pk
    /// and exit 0, or print `anonymous` (the reason on stderr) and exit 1.
    Check {
        /// The session cookie's value.
        value: String,
        /// Change the session as Django would: flush it when its auth hash is stale, move it
        /// to a new key when the hash is a SECRET_KEY_FALLBACKS one (the new cookie value is
        /// printed on a second line).
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Print the session's data as JSON (exit 1 when there is no such session).
    Show {
        /// The session cookie's value.
        value: String,
        #[command(flatten)]
        common: Common,
    },
    /// Delete a session, as `logout` does.
    Delete {
        /// The session cookie's value.
        value: String,
        #[command(flatten)]
        common: Common,
    },
}

/// The keys, the version, the database and the session settings.
#[derive(Args, Clone, Debug)]
pub struct Common {
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    version: VersionArg,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    sessions: SessionArgs,
}

async fn open(common: &Common) -> Result<SessionAuth, Fail> {
    let settings = settings(&[
        &common.secrets,
        &common.version,
        &common.store,
        &common.sessions,
    ])?;
    Ok(settings.session_auth().await?)
}

pub fn run(cmd: SessionCommand) -> Result<Outcome, Fail> {
    super::block_on(async {
        match cmd {
            SessionCommand::New {
                username,
                backend,
                common,
            } => {
                let auth = open(&common).await?;
                let key = auth.login_username(&username, backend.as_deref()).await?;
                println!("{key}");
                Ok(Outcome::Yes)
            }
            SessionCommand::Check {
                value,
                apply,
                common,
            } => {
                let auth = open(&common).await?;
                match auth.get_user(&value, apply).await? {
                    Ok(logged_in) => {
                        println!("{}", logged_in.user.pk);
                        if logged_in.cycled {
                            if apply {
                                println!("{}", logged_in.key);
                            } else {
                                eprintln!(
                                    "the auth hash is a SECRET_KEY_FALLBACKS one: Django moves the session to a new key (--apply does)"
                                );
                            }
                        }
                        Ok(Outcome::Yes)
                    }
                    Err(why) => {
                        println!("anonymous");
                        eprintln!("{why}");
                        Ok(Outcome::No)
                    }
                }
            }
            SessionCommand::Show { value, common } => {
                let auth = open(&common).await?;
                match auth.sessions().load(&value).await? {
                    Some(data) => {
                        // As Python's json.dumps writes it (ASCII), what only Python reads included.
                        println!("{}", String::from_utf8_lossy(&data.to_json()));
                        Ok(Outcome::Yes)
                    }
                    None => {
                        eprintln!("no such session");
                        Ok(Outcome::No)
                    }
                }
            }
            SessionCommand::Delete { value, common } => {
                let auth = open(&common).await?;
                auth.logout(&value).await?;
                Ok(Outcome::Yes)
            }
        }
    })
}
