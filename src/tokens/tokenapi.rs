//! django-tokenapi's tokens (`tokenapi.tokens.PasswordResetTokenGenerator`, 2.1.1 and
//! tokenapi2 2.1): `int_to_base36(days) + "-" + salted_hmac(key_salt, str(pk) + password +
//! str(days)).hexdigest()[::2]`, HMAC-SHA1, days since 2001-01-01 in `TIME_ZONE`.
//!
//! Tokens are 24 characters until day 46655 (2128-09-27) and 25 from day 46656.

use crate::clock::Clock;
use crate::crypto::{Algorithm, SecretKeys};
use crate::tokens::{Signer, Value, Verdict, age_verdict, parse};
use crate::user::{Pk, User};

/// tokenapi's key salt: it kept the name of the Django class it was copied from.
pub const KEY_SALT: &str = "tokenapi.tokens.PasswordResetTokenGenerator";

/// `TOKEN_TIMEOUT_DAYS` when the setting is absent.
pub const DEFAULT_TIMEOUT_DAYS: i64 = 7;

/// Makes and checks tokenapi tokens.
///
/// ```
/// use djtoken::{SecretKeys, User, TokenapiTokenGenerator};
/// let generator = TokenapiTokenGenerator::new(&SecretKeys::new("test-secret"));
/// let ph = format!("pbkdf2_sha256$260000$abcdefghijklmnopqrstuv${}=", "A".repeat(43));
/// let user = User::new(1, ph);
/// assert_eq!(generator.make_token_with_timestamp(&user, 9000), "6y0-a438a0c8937197581e32");
/// let token = generator.make_token(&user);
/// assert!(generator.check_token(&user, &token));
/// ```
///
/// Unlike tokenapi, checks also accept tokens signed with a `SECRET_KEY_FALLBACKS` key, so a
/// key rotation does not log everyone out; with no fallbacks the answers are tokenapi's.
#[derive(Clone, Debug)]
pub struct TokenapiTokenGenerator {
    signer: Signer,
    timeout_days: i64,
    clock: Clock,
}

impl TokenapiTokenGenerator {
    /// Default `TOKEN_TIMEOUT_DAYS` (7) and the system clock in UTC.
    pub fn new(secrets: &SecretKeys) -> Self {
        TokenapiTokenGenerator {
            signer: Signer::new(secrets, Algorithm::Sha1, KEY_SALT.as_bytes()),
            timeout_days: DEFAULT_TIMEOUT_DAYS,
            clock: Clock::default(),
        }
    }

    /// `TOKEN_TIMEOUT_DAYS`: a token `timeout_days` old is still valid, one day more is not.
    pub fn with_timeout_days(mut self, timeout_days: i64) -> Self {
        self.timeout_days = timeout_days;
        self
    }

    /// The clock (and with it the `TIME_ZONE`) that says which day it is.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configured `TOKEN_TIMEOUT_DAYS`.
    pub fn timeout_days(&self) -> i64 {
        self.timeout_days
    }

    /// The configured clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A token for today. A clock before 2001-01-01, where Django would raise, counts as day 0.
    pub fn make_token(&self, user: &User) -> String {
        let days = u64::try_from(self.clock.days_since_2001()).unwrap_or(0);
        self.make_token_with_timestamp(user, days)
    }

    /// `_make_token_with_timestamp(user, days)`.
    pub fn make_token_with_timestamp(&self, user: &User, days: u64) -> String {
        self.signer.make(u128::from(days), |mac| {
            hash_value(mac, &user.pk, &user.password, u128::from(days))
        })
    }

    /// The typed verdict for `token`.
    pub fn check(&self, user: &User, token: &str) -> Verdict {
        self.check_on_day(user, token, || self.clock.days_since_2001())
    }

    /// The verdict as of `today` (days since 2001-01-01), read only once the signature matched.
    pub fn check_on_day(&self, user: &User, token: &str, today: impl FnOnce() -> i64) -> Verdict {
        self.check_parts(&user.pk, &user.password, token, today)
    }

    /// The same check from a pk and password hash alone (no [`User`] to build).
    pub fn check_parts(
        &self,
        pk: &Pk,
        password: &str,
        token: &str,
        today: impl FnOnce() -> i64,
    ) -> Verdict {
        let Some(parsed) = parse(token) else {
            return Verdict::Malformed;
        };
        if parsed.hash.len() != self.signer.hash_len() {
            return Verdict::Malformed;
        }
        let mut value = Value::new();
        hash_value(&mut value, pk, password, parsed.ts);
        if !self.signer.verifies(parsed.hash, &value) {
            return Verdict::Invalid;
        }
        age_verdict(today(), parsed.ts, self.timeout_days)
    }

    /// tokenapi's `check_token`: `true` only for [`Verdict::Valid`].
    pub fn check_token(&self, user: &User, token: &str) -> bool {
        self.check(user, token).is_valid()
    }
}

/// `str(user.pk) + user.password + str(timestamp)`.
#[inline]
fn hash_value(value: &mut Value, pk: &Pk, password: &str, days: u128) {
    pk.write_str_bytes(&mut |b| value.push(b));
    value.push(password.as_bytes());
    value.push_decimal(days);
}
