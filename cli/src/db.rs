//! `djtoken db init` and `djtoken user …`: the user table from the command line, and the
//! database and user-model flags every database command shares.

use std::io::IsTerminal;
use std::time::Duration;

use clap::{Args, Subcommand};
use djtoken::DjangoVersion;
use djtoken::hashers::{Hashers, is_password_usable};
use djtoken::store::{InitOutcome, NewUser, StoreOptions, UserStore};
use djtoken::user::{PkKind, UserModel};
use unicode_normalization::UnicodeNormalization;

use super::password::read_password;
use super::{Fail, Outcome};

/// Where the users are, and how the user model maps onto the table.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Database URL: sqlite:PATH (sqlite:///relative, sqlite:////absolute) or postgres://…
    #[arg(long, env = "DJTOKEN_DATABASE", default_value = "sqlite:db.sqlite3")]
    pub database: String,
    /// AUTH_USER_MODEL's table.
    #[arg(long, env = "DJTOKEN_USER_TABLE", default_value = "auth_user")]
    pub user_table: String,
    /// The primary-key column.
    #[arg(long, env = "DJTOKEN_PK_COLUMN", default_value = "id")]
    pub pk_column: String,
    /// The primary key's kind: integer, biginteger, uuid or string.
    #[arg(long = "pk-type", env = "DJTOKEN_PK_TYPE", default_value = "integer")]
    pub pk_type: PkKind,
    /// USERNAME_FIELD's column.
    #[arg(long, env = "DJTOKEN_USERNAME_FIELD", default_value = "username")]
    pub username_field: String,
    /// EMAIL_FIELD's column, or "none".
    #[arg(long, env = "DJTOKEN_EMAIL_FIELD", default_value = "email")]
    pub email_field: String,
    /// The password column.
    #[arg(long, env = "DJTOKEN_PASSWORD_COLUMN", default_value = "password")]
    pub password_column: String,
    /// The last_login column, or "none".
    #[arg(long, env = "DJTOKEN_LAST_LOGIN_COLUMN", default_value = "last_login")]
    pub last_login_column: String,
    /// The is_active column, or "none" (every user active, as tokenapi allows).
    #[arg(long, env = "DJTOKEN_IS_ACTIVE_COLUMN", default_value = "is_active")]
    pub is_active_column: String,
    /// Seconds a query (or a connection) may take before the command fails.
    #[arg(long, env = "DJTOKEN_QUERY_TIMEOUT", default_value = "5")]
    pub query_timeout: f64,
}

fn optional(column: &str) -> Option<String> {
    (!column.eq_ignore_ascii_case("none") && !column.is_empty()).then(|| column.to_owned())
}

impl StoreArgs {
    pub fn model(&self) -> UserModel {
        UserModel {
            table: self.user_table.clone(),
            pk_column: self.pk_column.clone(),
            pk_kind: self.pk_type,
            username_field: self.username_field.clone(),
            email_field: optional(&self.email_field),
            password_column: self.password_column.clone(),
            last_login_column: optional(&self.last_login_column),
            is_active_column: optional(&self.is_active_column),
        }
    }

    pub fn options(&self) -> Result<StoreOptions, Fail> {
        if !(self.query_timeout.is_finite() && self.query_timeout > 0.0) {
            return Err(Fail(
                "--query-timeout must be a positive number of seconds".into(),
            ));
        }
        Ok(StoreOptions {
            query_timeout: Duration::from_secs_f64(self.query_timeout),
            ..StoreOptions::default()
        })
    }

    pub async fn open(&self) -> Result<UserStore, Fail> {
        Ok(UserStore::open(&self.database, self.model(), self.options()?).await?)
    }
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Create the tables Django's migrate creates for auth and contenttypes (with their
    /// django_migrations rows), so that Django later finds nothing to migrate.
    Init {
        /// The Django version whose migrations to reproduce.
        #[arg(long, env = "DJTOKEN_DJANGO_VERSION", default_value = "6.1")]
        django_version: DjangoVersion,
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
        hashing: HashingArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a user's password (from stdin or a prompt).
    SetPassword {
        /// The USERNAME_FIELD value, exactly.
        username: String,
        #[command(flatten)]
        hashing: HashingArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the users: pk, username, email, active, last login, hash algorithm.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The Django version whose default hasher writes new passwords.
#[derive(Args, Clone, Debug)]
pub struct HashingArgs {
    /// Django version whose preferred hasher and work factors new hashes get.
    #[arg(long, env = "DJTOKEN_DJANGO_VERSION", default_value = "6.1")]
    pub django_version: DjangoVersion,
}

pub fn run_db(command: DbCommand) -> Result<Outcome, Fail> {
    let DbCommand::Init {
        django_version,
        store,
    } = command;
    super::block_on(async {
        let db =
            UserStore::open_or_create(&store.database, store.model(), store.options()?).await?;
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
                hashing,
                store,
            } => {
                let username: String = username.nfkc().collect();
                if username.is_empty() {
                    return Err(Fail("the username cannot be empty".into()));
                }
                let password = new_password()?;
                let db = store.open().await?;
                let encoded = Hashers::for_version(hashing.django_version)
                    .make_password(&password, None, None)?;
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
                hashing,
                store,
            } => {
                let db = store.open().await?;
                if db.user_by_username(&username).await?.is_none() {
                    return Err(Fail(format!("no user {username:?} in {}", db.database())));
                }
                let password = new_password()?;
                let encoded = Hashers::for_version(hashing.django_version)
                    .make_password(&password, None, None)?;
                db.set_password(&username, &encoded).await?;
                println!("password of {username:?} set");
                Ok(Outcome::Yes)
            }
            UserCommand::List { store } => {
                let db = store.open().await?;
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
