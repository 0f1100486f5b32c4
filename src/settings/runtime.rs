//! The composition root: the parts of a run (the store, the authenticator, the session
//! logins, each credential's configuration) built from the settings, in one place and in one
//! pass ([`Settings::build`]), each key file read once.

use std::sync::Arc;

use super::{ApiPackage, Settings, SettingsError, invalid};
use crate::auth::Authenticator;
use crate::crypto::SecretKeys;
use crate::sessions::{SessionAuth, SessionConfig, SessionStore};
use crate::store::{Database, NaiveTimes, StoreOptions};

/// Everything the configured authentication methods need, built once per process: what
/// `djtoken serve` puts behind its routes.
pub struct Parts {
    /// Logins and token checks over the user store.
    pub authenticator: Authenticator,
    /// The project's sessions (over the same store) with its CSRF and host rules, when
    /// `session` is one of `AUTHENTICATION_METHODS`.
    pub browser: Option<BrowserParts>,
    /// simplejwt's configuration, when its method or one of its views is configured.
    pub simplejwt: Option<crate::simplejwt::Config>,
    /// knox's configuration, when its method or one of its views is configured.
    pub knox: Option<crate::knox::Config>,
    /// django-axes' lockout rules, when the project uses them.
    pub axes: Option<crate::axes::AxesLockout>,
    /// How naive datetimes are stored (`USE_TZ`, `TIME_ZONE`).
    pub times: NaiveTimes,
}

/// What the `session` method and the session endpoints need.
pub struct BrowserParts {
    /// Session logins over the configured engine.
    pub sessions: SessionAuth,
    /// `CsrfViewMiddleware`'s settings.
    pub csrf: crate::csrf::CsrfConfig,
    /// How Django reads a request's host.
    pub hosts: crate::hosts::HostRules,
}

impl Settings {
    /// Validate, then build every part the configured methods and views need, reading each
    /// key and password file once. Connections open at first use.
    pub async fn build(&self) -> Result<Parts, SettingsError> {
        self.validate()?;
        let keys = self.secret_keys()?;
        let authenticator = self.authenticator_with(&keys).await?;
        let browser = if self.uses_method("session") {
            let config = self.session_config()?;
            let csrf = config.csrf.clone();
            Some(BrowserParts {
                sessions: self.session_auth_from(
                    config,
                    keys.clone(),
                    authenticator.shared_store(),
                )?,
                csrf,
                hosts: self.host_rules(),
            })
        } else {
            None
        };
        let simplejwt = if self.serve.serves(ApiPackage::SimpleJwt) || self.uses_method("simplejwt")
        {
            Some(self.simplejwt_config_with(&keys)?)
        } else {
            None
        };
        let knox = if self.serve.serves(ApiPackage::Knox) || self.uses_method("knox") {
            Some(self.rest_knox.config()?)
        } else {
            None
        };
        Ok(Parts {
            authenticator,
            browser,
            simplejwt,
            knox,
            axes: self.axes()?,
            times: NaiveTimes {
                use_tz: self.use_tz,
                time_zone: self.time_zone()?,
            },
        })
    }

    /// Connection settings: `QUERY_TIMEOUT`, `serve.pool_size` and
    /// `serve.user_cache_notify`.
    pub fn store_options(&self) -> Result<StoreOptions, SettingsError> {
        Ok(StoreOptions {
            query_timeout: self.query_timeout()?,
            pool_size: self.serve.pool_size.map(|n| n.max(1)),
            user_cache_notify: self.serve.user_cache_notify,
        })
    }

    /// Session logins over the configured engine: the user store at `DATABASE_URL`, the
    /// session cache at `SESSION_CACHE_URL` when the engine uses one. Connections open at
    /// first use.
    pub async fn session_auth(&self) -> Result<SessionAuth, SettingsError> {
        let users = Arc::new(self.store().await?);
        self.session_auth_from(self.session_config()?, self.secret_keys()?, users)
    }

    /// Session logins over the engine `config` describes, for the users of `users`.
    fn session_auth_from(
        &self,
        config: SessionConfig,
        keys: SecretKeys,
        users: Arc<Database>,
    ) -> Result<SessionAuth, SettingsError> {
        let database = config.engine.uses_database().then(|| Arc::clone(&users));
        #[cfg(feature = "redis")]
        let cache = match &config.cache {
            Some(cache) if config.engine.uses_cache() => Some(
                crate::sessions::cache::RedisCache::open(cache.clone(), self.query_timeout()?)
                    .map_err(|e| invalid("SESSION_CACHE_URL", e.to_string()))?,
            ),
            _ => None,
        };
        let sessions = SessionStore::new(
            config,
            &keys,
            self.version(),
            database,
            #[cfg(feature = "redis")]
            cache,
        )
        .map_err(|e| invalid("SESSION_ENGINE", e.to_string()))?;
        Ok(SessionAuth::new(sessions, users, keys, self.version()))
    }

    /// The user store at `DATABASE_URL`.
    pub async fn store(&self) -> Result<Database, SettingsError> {
        Ok(Database::open(
            &self.database_connection_url()?,
            self.user_model()?,
            self.store_options()?,
        )
        .await?)
    }

    /// As [`Settings::store`], creating a missing SQLite file (for `db init`).
    pub async fn store_or_create(&self) -> Result<Database, SettingsError> {
        Ok(Database::open_or_create(
            &self.database_connection_url()?,
            self.user_model()?,
            self.store_options()?,
        )
        .await?)
    }

    /// Logins and token checks over the configured database, keys, hashers and clock.
    pub async fn authenticator(&self) -> Result<Authenticator, SettingsError> {
        self.validate()?;
        self.authenticator_with(&self.secret_keys()?).await
    }

    /// As [`Settings::authenticator`], validated and with the keys read.
    async fn authenticator_with(&self, keys: &SecretKeys) -> Result<Authenticator, SettingsError> {
        let tokens = self.tokenapi_generator(keys)?;
        let hashers = Arc::new(self.hashers()?);
        Ok(Authenticator::new(
            self.store().await?,
            hashers,
            self.rehash(),
            tokens,
        ))
    }
}
