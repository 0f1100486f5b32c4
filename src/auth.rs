//! Login and token checks against the user table, with the semantics of Django's
//! `ModelBackend` and tokenapi's `TokenBackend`, minus their crashes.
//!
//! - [`Authenticator::login`] is `ModelBackend.authenticate(username=…, password=…)`: exact
//!   lookup on `USERNAME_FIELD`; an unknown user still costs one run of the default hasher;
//!   inactive users are refused; a correct password on a hash the configured Django version
//!   would upgrade is rehashed with a conditional update, so a concurrent password change is
//!   never overwritten. Without a configured Django version nothing is rehashed.
//! - [`Authenticator::check_token`] is `TokenBackend.authenticate(pk=…, token=…)`: the id is
//!   read as Django's field reads it, and where Django raises (an id `int()` refuses, a
//!   malformed UUID) the answer is a typed error instead of a 500.
//!
//! Password hashing never runs on the async runtime: a [`HashRunner`] decides where it runs
//! (the server's runner also bounds how many run at once).

use std::future::Future;
use std::sync::Arc;

use crate::hashers::{HashError, Hashers, PasswordCheck};
use crate::store::{Database, StoreError};
use crate::tokens::{TokenapiTokenGenerator, Verdict};
use crate::user::{PkLookup, User};

/// Why credentials did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadCredentials {
    /// No user with that username or id.
    NoSuchUser,
    /// The password does not match.
    WrongPassword,
    /// The stored hash could not be read (corrupt, or beyond the work limits); logged by the
    /// caller, refused like a wrong password.
    UnreadableHash,
    /// The token is not valid for this user.
    Token(Verdict),
}

/// The outcome of an authentication that did not produce a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Unknown user, wrong password, bad token.
    #[error("bad credentials ({0:?})")]
    BadCredentials(BadCredentials),
    /// The credentials match an inactive user.
    #[error("the user is inactive")]
    Inactive,
    /// Input that cannot name a user of this model (an id `int()` refuses…).
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// No capacity to hash a password within the allowed wait.
    #[error("too many password checks in progress")]
    Overloaded,
    /// The database could not answer.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

/// No capacity left to run a password hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

/// Where password hashing runs: never on the async runtime's threads.
pub trait HashRunner: Send + Sync {
    /// Run `work` (a password hash that takes about `memory` bytes) and give its result, or
    /// [`Overloaded`].
    fn run<T, F>(&self, memory: u64, work: F) -> impl Future<Output = Result<T, Overloaded>> + Send
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static;
}

/// Runs each hash on tokio's blocking thread pool, without a limit.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockingRunner;

impl HashRunner for BlockingRunner {
    async fn run<T, F>(&self, _memory: u64, work: F) -> Result<T, Overloaded>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| Overloaded)
    }
}

/// Login and token checks over one user store.
pub struct Authenticator<R: HashRunner = BlockingRunner> {
    store: Arc<Database>,
    hashers: Arc<Hashers>,
    rehash: bool,
    tokens: TokenapiTokenGenerator,
    runner: R,
}

impl Authenticator<BlockingRunner> {
    /// `rehash`: whether a login may rewrite an outdated hash (only when the caller knows which
    /// Django version shares the database: `hashers` must hold that version's settings).
    pub fn new(
        store: Database,
        hashers: Arc<Hashers>,
        rehash: bool,
        tokens: TokenapiTokenGenerator,
    ) -> Self {
        Authenticator {
            store: Arc::new(store),
            hashers,
            rehash,
            tokens,
            runner: BlockingRunner,
        }
    }
}

impl<R: HashRunner> Authenticator<R> {
    /// The same authenticator with another [`HashRunner`].
    pub fn with_runner<S: HashRunner>(self, runner: S) -> Authenticator<S> {
        Authenticator {
            store: self.store,
            hashers: self.hashers,
            rehash: self.rehash,
            tokens: self.tokens,
            runner,
        }
    }

    /// The user store.
    pub fn store(&self) -> &Database {
        &self.store
    }

    /// The user store, to share with the session stores.
    pub fn shared_store(&self) -> Arc<Database> {
        Arc::clone(&self.store)
    }

    /// The token generator (tokenapi tokens).
    pub fn tokens(&self) -> &TokenapiTokenGenerator {
        &self.tokens
    }

    /// The hashers.
    pub fn hashers(&self) -> &Arc<Hashers> {
        &self.hashers
    }

    /// Whether logins rehash outdated passwords.
    pub fn rehashes(&self) -> bool {
        self.rehash
    }

    async fn check_password(
        &self,
        password: &Arc<[u8]>,
        encoded: String,
    ) -> Result<Result<PasswordCheck, HashError>, AuthError> {
        let (hashers, password) = (Arc::clone(&self.hashers), Arc::clone(password));
        self.runner
            .run(self.hashers.memory_of(&encoded), move || {
                hashers.check_password(&password, &encoded)
            })
            .await
            .map_err(|Overloaded| AuthError::Overloaded)
    }

    /// `ModelBackend.authenticate(username=username, password=password)`.
    pub async fn login(&self, username: &str, password: &[u8]) -> Result<User, AuthError> {
        let found = self.login_user(username).await?;
        self.check_login(found, password).await
    }

    /// The first half of [`login`](Self::login): the user `USERNAME_FIELD` names, as the
    /// database compares it (a case-insensitive collation or a `citext` column finds `alice`
    /// for `ALICE`). A login throttle keys its count by what this finds.
    pub async fn login_user(&self, username: &str) -> Result<Option<User>, AuthError> {
        Ok(self.store.user_by_username(username).await?)
    }

    /// The second half of [`login`](Self::login): `password` against the user
    /// [`login_user`](Self::login_user) found, or for none one run of the default hasher.
    pub async fn check_login(
        &self,
        found: Option<User>,
        password: &[u8],
    ) -> Result<User, AuthError> {
        let password: Arc<[u8]> = Arc::from(password);
        let Some(user) = found else {
            // Run the default password hasher once, as Django does (#20760).
            let (hashers, password) = (Arc::clone(&self.hashers), Arc::clone(&password));
            self.runner
                .run(self.hashers.memory_of_default(), move || {
                    hashers.hash_for_timing(&password)
                })
                .await
                .map_err(|Overloaded| AuthError::Overloaded)?;
            return Err(AuthError::BadCredentials(BadCredentials::NoSuchUser));
        };
        let check = match self
            .check_password(&password, user.password.clone())
            .await?
        {
            Ok(check) => check,
            Err(_) => return Err(AuthError::BadCredentials(BadCredentials::UnreadableHash)),
        };
        if !check.is_correct {
            return Err(AuthError::BadCredentials(BadCredentials::WrongPassword));
        }
        // Django rehashes inside check_password, before looking at is_active.
        let user = if check.must_update && self.rehash {
            self.rehash(user, &password).await?
        } else {
            user
        };
        if !user.is_active {
            return Err(AuthError::Inactive);
        }
        Ok(user)
    }

    /// Store `password` with the preferred hasher, unless the stored hash changed meanwhile.
    async fn rehash(&self, mut user: User, password: &Arc<[u8]>) -> Result<User, AuthError> {
        let (hashers, pw) = (Arc::clone(&self.hashers), Arc::clone(password));
        let new = self
            .runner
            .run(self.hashers.memory_of_default(), move || {
                hashers.make_password(&pw, None, None)
            })
            .await
            .map_err(|Overloaded| AuthError::Overloaded)?
            .map_err(|_| AuthError::BadCredentials(BadCredentials::UnreadableHash))?;
        if self
            .store
            .set_password_if_unchanged(&user.pk, &user.password, &new)
            .await?
        {
            user.password = new;
            return Ok(user);
        }
        // Someone else changed the hash since we read it (a concurrent login's rehash, or a
        // password change): the password must match what is stored now.
        let current = self
            .store
            .user_by_pk(&user.pk)
            .await?
            .ok_or(AuthError::BadCredentials(BadCredentials::NoSuchUser))?;
        match self
            .check_password(password, current.password.clone())
            .await?
        {
            Ok(check) if check.is_correct => Ok(current),
            Ok(_) => Err(AuthError::BadCredentials(BadCredentials::WrongPassword)),
            Err(_) => Err(AuthError::BadCredentials(BadCredentials::UnreadableHash)),
        }
    }

    /// The user a user-id text names, as `TokenBackend` looks it up.
    pub async fn user_by_id_text(&self, user_id: &str) -> Result<User, AuthError> {
        let pk = match self.store.model().pk_kind.parse_pk(user_id) {
            PkLookup::Pk(pk) => pk,
            PkLookup::Impossible => {
                return Err(AuthError::BadCredentials(BadCredentials::NoSuchUser));
            }
            PkLookup::Invalid => return Err(AuthError::Malformed("user id")),
        };
        self.store
            .user_by_pk(&pk)
            .await?
            .ok_or(AuthError::BadCredentials(BadCredentials::NoSuchUser))
    }

    /// `TokenBackend.authenticate(pk=user_id, token=token)`.
    pub async fn check_token(&self, user_id: &str, token: &str) -> Result<User, AuthError> {
        let user = self.user_by_id_text(user_id).await?;
        if !user.is_active {
            return Err(AuthError::Inactive);
        }
        match self.tokens.check(&user, token) {
            Verdict::Valid => Ok(user),
            verdict => Err(AuthError::BadCredentials(BadCredentials::Token(verdict))),
        }
    }
}
