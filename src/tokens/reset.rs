//! Django's `django.contrib.auth.tokens.PasswordResetTokenGenerator` (3.2 to 6.1):
//! `int_to_base36(seconds) + "-" + salted_hmac(key_salt, value, algorithm="sha256")
//! .hexdigest()[::2]` with `value = f"{pk}{password}{login_timestamp}{seconds}{email}"`.
//!
//! `login_timestamp` is `last_login` with microseconds and tzinfo dropped, **without**
//! converting to local time, rendered `YYYY-MM-DD HH:MM:SS`, or `""` when never set.
//! Because the password hash and `last_login` are in the value, a token dies when the user
//! changes their password or logs in again.

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::clock::{Clock, seconds_since_2001};
use crate::crypto::{Algorithm, SecretKeys};
use crate::tokens::{Signer, Value, Verdict, age_verdict, parse};
use crate::user::User;

/// Django's `PasswordResetTokenGenerator.key_salt`.
pub const KEY_SALT: &str = "django.contrib.auth.tokens.PasswordResetTokenGenerator";

/// `PASSWORD_RESET_TIMEOUT`'s default: three days, in seconds.
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 60 * 60 * 24 * 3;

/// What a Django project can change about its reset tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetTokenConfig {
    /// The generator's `key_salt` (subclasses override it to get tokens of their own).
    pub key_salt: String,
    /// The generator's `algorithm`; `sha256` unless a subclass says otherwise.
    pub algorithm: Algorithm,
    /// `PASSWORD_RESET_TIMEOUT`, in seconds; a token exactly this old is still valid.
    pub timeout_seconds: i64,
    /// Also accept what Django 3.2 accepts for old tokens: a SHA-1 signature, and timestamps
    /// of at most three base-36 digits counted in days (tokens from Django 3.0 and 3.1).
    pub legacy_tokens: bool,
}

impl Default for ResetTokenConfig {
    fn default() -> Self {
        ResetTokenConfig {
            key_salt: KEY_SALT.to_owned(),
            algorithm: Algorithm::Sha256,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            legacy_tokens: false,
        }
    }
}

/// Makes and checks password-reset tokens.
///
/// ```
/// use djtoken::{PasswordResetTokenGenerator, ResetTokenConfig, SecretKeys, User};
/// let generator = PasswordResetTokenGenerator::new(&SecretKeys::new("test-secret"), ResetTokenConfig::default());
/// let user = User::new(1, "pbkdf2_sha256$1500000$salt$hash").with_email("alice@example.com");
/// let token = generator.make_token(&user);
/// assert!(generator.check_token(&user, &token));
/// ```
#[derive(Clone, Debug)]
pub struct PasswordResetTokenGenerator {
    signer: Signer,
    /// Django 3.2's SHA-1 retry, present only with `legacy_tokens`.
    legacy_signer: Option<Signer>,
    timeout_seconds: i64,
    clock: Clock,
}

impl PasswordResetTokenGenerator {
    /// A generator over `secrets` with the system clock in UTC.
    pub fn new(secrets: &SecretKeys, config: ResetTokenConfig) -> Self {
        let salt = config.key_salt.as_bytes();
        PasswordResetTokenGenerator {
            signer: Signer::new(secrets, config.algorithm, salt),
            legacy_signer: config
                .legacy_tokens
                .then(|| Signer::new(secrets, Algorithm::Sha1, salt)),
            timeout_seconds: config.timeout_seconds,
            clock: Clock::default(),
        }
    }

    /// The clock (and with it the `TIME_ZONE`) that says what time it is.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configured `PASSWORD_RESET_TIMEOUT`.
    pub fn timeout_seconds(&self) -> i64 {
        self.timeout_seconds
    }

    /// A token for now. A clock before 2001-01-01, where Django would raise, counts as 0.
    pub fn make_token(&self, user: &User) -> String {
        let seconds = u64::try_from(self.clock.seconds_since_2001()).unwrap_or(0);
        self.make_token_with_timestamp(user, seconds)
    }

    /// `_make_token_with_timestamp(user, seconds, secret=SECRET_KEY)`.
    pub fn make_token_with_timestamp(&self, user: &User, seconds: u64) -> String {
        let ts = u128::from(seconds);
        self.signer.make(ts, |mac| hash_value(mac, user, ts))
    }

    /// The typed verdict for `token`.
    pub fn check(&self, user: &User, token: &str) -> Verdict {
        self.check_at(user, token, || self.clock.now_local())
    }

    /// The verdict as of `now` (naive local time in `TIME_ZONE`, as `datetime.now()`), read
    /// only once the signature matched.
    pub fn check_at(
        &self,
        user: &User,
        token: &str,
        now: impl FnOnce() -> NaiveDateTime,
    ) -> Verdict {
        let Some(parsed) = parse(token) else {
            return Verdict::Malformed;
        };
        let mut value = Value::new();
        hash_value(&mut value, user, parsed.ts);
        let expected = self.signer.hash_len();
        let legacy_len = self.legacy_signer.as_ref().map(Signer::hash_len);
        if parsed.hash.len() != expected && Some(parsed.hash.len()) != legacy_len {
            return Verdict::Malformed;
        }
        let signed = self.signer.verifies(parsed.hash, &value)
            || self
                .legacy_signer
                .as_ref()
                .is_some_and(|legacy| legacy.verifies(parsed.hash, &value));
        if !signed {
            return Verdict::Invalid;
        }
        let now = now();
        let mut ts = parsed.ts;
        if self.legacy_signer.is_some() && parsed.ts_text.len() < 4 {
            // Django 3.2: a day count becomes that day's start plus the current time of day.
            let time_of_day = u128::from(now.num_seconds_from_midnight());
            ts = ts * 24 * 60 * 60 + time_of_day;
        }
        age_verdict(seconds_since_2001(now), ts, self.timeout_seconds)
    }

    /// Django's `check_token`: `true` only for [`Verdict::Valid`].
    pub fn check_token(&self, user: &User, token: &str) -> bool {
        self.check(user, token).is_valid()
    }
}

/// `f"{user.pk}{user.password}{login_timestamp}{timestamp}{email}"`.
#[inline]
fn hash_value(value: &mut Value, user: &User, ts: u128) {
    user.pk.write_str_bytes(&mut |b| value.push(b));
    value.push(user.password.as_bytes());
    if let Some(last_login) = user.last_login {
        let mut buf = [0u8; 32];
        value.push(login_timestamp(last_login, &mut buf));
    }
    value.push_decimal(ts);
    value.push(user.email.as_bytes());
}

/// `str(last_login.replace(microsecond=0, tzinfo=None))`: `YYYY-MM-DD HH:MM:SS`, the year
/// zero-padded to four digits as Python's `datetime` writes it (Python has no other years).
fn login_timestamp(dt: NaiveDateTime, buf: &mut [u8; 32]) -> &[u8] {
    fn two(out: &mut [u8], n: u32) {
        out[0] = b'0' + (n / 10) as u8;
        out[1] = b'0' + (n % 10) as u8;
    }
    let year = u32::try_from(dt.year()).unwrap_or(0).min(9999);
    two(&mut buf[0..2], year / 100);
    two(&mut buf[2..4], year % 100);
    buf[4] = b'-';
    two(&mut buf[5..7], dt.month());
    buf[7] = b'-';
    two(&mut buf[8..10], dt.day());
    buf[10] = b' ';
    two(&mut buf[11..13], dt.hour());
    buf[13] = b':';
    two(&mut buf[14..16], dt.minute());
    buf[16] = b':';
    two(&mut buf[17..19], dt.second());
    &buf[..19]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn login_timestamp_drops_microseconds() {
        let dt = NaiveDate::from_ymd_opt(2024, 1, 2)
            .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 678_901))
            .expect("a valid test datetime");
        let mut buf = [0u8; 32];
        assert_eq!(login_timestamp(dt, &mut buf), b"2024-01-02 03:04:05");
        let early = NaiveDate::from_ymd_opt(999, 1, 2)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid test datetime");
        assert_eq!(login_timestamp(early, &mut buf), b"0999-01-02 00:00:00");
    }
}
