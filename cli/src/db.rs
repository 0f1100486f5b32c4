//! `djtoken db init`, `djtoken db notify-trigger` and `djtoken user …`: the user table from the
//! command line, and the database and user-model flags every database command shares.

use std::io::IsTerminal;

use clap::Subcommand;
use djtoken::hashers::is_password_usable;
use djtoken::store::{InitOutcome, NewUser};
use unicode_normalization::UnicodeNormalization;

use super::flags::{HashersArg, StoreArgs, VersionArg, settings};
use super::password::read_password;
use super::{Fail, Outcome};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Create the tables Django's migrate creates for auth and contenttypes (with their
    /// django_migrations rows), so that Django later finds nothing to migrate.
    Init {
        #[command(flatten)]
        version: VersionArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add to the user table the trigger whose notifications let `serve --user-cache-notify`
    /// keep users between checks (PostgreSQL; the database user must own the table).
    NotifyTrigger {
        /// Remove the trigger instead.
        #[arg(long)]
        drop: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (as create_user / create_superuser); the password comes from stdin or a
    /// prompt.
    Create {
        /// The USERNAME_FIELD value (NFKC-normalised, as Django does).
        username: String,
        /// The email (its domain lower-cased, as Django does).
        #[arg(long, default_value = "")]
        email: String,
        /// Also is_superuser and is_staff.
        #[arg(long)]
        superuser: bool,
        #[command(flatten)]
        version: VersionArg,
        #[command(flatten)]
        hashers: HashersArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a user's password (from stdin or a prompt).
    SetPassword {
        /// The USERNAME_FIELD value, exactly.
        username: String,
        #[command(flatten)]
        version: VersionArg,
        #[command(flatten)]
        hashers: HashersArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the users: pk, username, email, active, last login, hash algorithm.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run_db(command: DbCommand) -> Result<Outcome, Fail> {
    let (version, store) = match command {
        DbCommand::Init { version, store } => (version, store),
        DbCommand::NotifyTrigger { drop, store } => return notify_trigger(drop, &store),
    };
    let settings = settings(&[&version, &store])?;
    let django_version = settings.version();
    super::block_on(async {
        let db = settings.store_or_create().await?;
        match db.init_schema(django_version).await? {
            InitOutcome::Created => println!(
                "created the auth and contenttypes tables of Django {django_version} in {}",
                db.database()
            ),
            InitOutcome::AlreadyMigrated => {
                println!(
                    "{} already has auth and contenttypes migrated; nothing to do",
                    db.database()
                )
            }
        }
        Ok(Outcome::Yes)
    })
}

/// `db notify-trigger`: add or remove the user table's change-notification trigger.
fn notify_trigger(drop: bool, store: &StoreArgs) -> Result<Outcome, Fail> {
    let settings = settings(&[store])?;
    super::block_on(async {
        let db = settings.store().await?;
        db.notify_trigger(!drop).await?;
        let table = &db.model().table;
        if drop {
            println!(
                "removed the change-notification trigger from {table} in {}",
                db.database()
            );
        } else {
            println!(
                "added the change-notification trigger to {table} in {}; serve --user-cache-notify uses it",
                db.database()
            );
        }
        Ok(Outcome::Yes)
    })
}

/// A new password: from stdin when it is not a terminal, else asked twice without echo.
pub fn new_password() -> Result<Vec<u8>, Fail> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| Fail(format!("reading the password: {e}")))?;
        let again = rpassword::prompt_password("Password (again): ")
            .map_err(|e| Fail(format!("reading the password: {e}")))?;
        if first != again {
            return Err(Fail("the passwords do not match".into()));
        }
        Ok(first.into_bytes())
    } else {
        read_password()
    }
}

/// `BaseUserManager.normalize_email`: the domain part lower-cased.
fn normalize_email(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => email.to_owned(),
    }
}

pub fn run_user(command: UserCommand) -> Result<Outcome, Fail> {
    super::block_on(async {
        match command {
            UserCommand::Create {
                username,
                email,
                superuser,
                version,
                hashers,
                store,
            } => {
                let settings = settings(&[&version, &hashers, &store])?;
                let username: String = username.nfkc().collect();
                if username.is_empty() {
                    return Err(Fail("the username cannot be empty".into()));
                }
                let password = new_password()?;
                let db = settings.store().await?;
                let encoded = settings.hashers()?.make_password(&password, None, None)?;
                let pk = db
                    .create_user(&NewUser {
                        username: username.clone(),
                        email: normalize_email(&email),
                        password: encoded,
                        superuser,
                        date_joined: chrono::Utc::now().naive_utc(),
                    })
                    .await?;
                println!("created user {username:?} with pk {pk}");
                Ok(Outcome::Yes)
            }
            UserCommand::SetPassword {
                username,
                version,
                hashers,
                store,
            } => {
                let settings = settings(&[&version, &hashers, &store])?;
                let db = settings.store().await?;
                if db.user_by_username(&username).await?.is_none() {
                    return Err(Fail(format!("no user {username:?} in {}", db.database())));
                }
                let password = new_password()?;
                let encoded = settings.hashers()?.make_password(&password, None, None)?;
                db.set_password(&username, &encoded).await?;
                println!("password of {username:?} set");
                Ok(Outcome::Yes)
            }
            UserCommand::List { store } => {
                let db = settings(&[&store])?.store().await?;
                println!(
                    "{:<38} {:<24} {:<28} {:<6} {:<20} hasher",
                    "pk", "username", "email", "active", "last login"
                );
                for user in db.list_users().await? {
                    let algorithm = if !is_password_usable(Some(&user.password)) {
                        "(unusable)".to_owned()
                    } else {
                        user.password.split('$').next().unwrap_or("").to_owned()
                    };
                    let last_login = user.last_login.map_or_else(
                        || "-".to_owned(),
                        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                    );
                    println!(
                        "{:<38} {:<24} {:<28} {:<6} {:<20} {algorithm}",
                        user.pk.to_string(),
                        user.username,
                        user.email,
                        if user.is_active { "yes" } else { "no" },
                        last_login
                    );
                }
                Ok(Outcome::Yes)
            }
        }
    })
}
