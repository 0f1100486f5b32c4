//! django-tokenapi's tokens (`tokenapi.tokens.PasswordResetTokenGenerator`, 2.1.1 and
//! tokenapi2 2.1): `int_to_base36(days) + "-" + salted_hmac(key_salt, str(pk) + password +
//! str(days)).hexdigest()[::2]`, HMAC-SHA1, days since 2001-01-01 in `TIME_ZONE`.
//!
//! Tokens are 24 characters until day 46655 (2128-09-27) and 25 from day 46656.

use std::sync::Mutex;

use crate::clock::Clock;
use crate::crypto::{Algorithm, SecretKeys, constant_time_compare};
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
        self.check_remembering(None, pk, password, token, today)
    }

    /// [`check_parts`](Self::check_parts), the signature not computed again for a token
    /// [`Seen`] with the same pk and password (its age is).
    pub fn check_seen(
        &self,
        seen: &Seen,
        pk: &Pk,
        password: &str,
        token: &str,
        today: impl FnOnce() -> i64,
    ) -> Verdict {
        self.check_remembering(Some(seen), pk, password, token, today)
    }

    fn check_remembering(
        &self,
        seen: Option<&Seen>,
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
        if !seen.is_some_and(|seen| seen.holds(pk, password, token)) {
            let mut value = Value::new();
            hash_value(&mut value, pk, password, parsed.ts);
            if !self.signer.verifies(parsed.hash, &value) {
                return Verdict::Invalid;
            }
            if let Some(seen) = seen {
                seen.remember(pk, password, token);
            }
        }
        age_verdict(today(), parsed.ts, self.timeout_days)
    }

    /// tokenapi's `check_token`: `true` only for [`Verdict::Valid`].
    pub fn check_token(&self, user: &User, token: &str) -> bool {
        self.check(user, token).is_valid()
    }
}

/// Tokens whose signature checked out lately, by user: a client sends the same token with
/// every request, and its signature under one generator's keys, for one pk and password hash,
/// cannot change (a new password, or other keys, is another entry or another generator). Only
/// the age is checked again. Direct-mapped: [`Seen::SLOTS`] entries, placed by the end of the
/// password hash (its salt and digest, which no client chooses); the password and the token
/// are compared in constant time.
pub struct Seen {
    slots: Mutex<Vec<Option<SeenToken>>>,
}

struct SeenToken {
    pk: Pk,
    password: String,
    token: String,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            slots: Mutex::new((0..Self::SLOTS).map(|_| None).collect()),
        }
    }
}

impl Seen {
    /// How many tokens are kept.
    pub const SLOTS: usize = 1024;

    fn slot(password: &str) -> usize {
        let tail = &password.as_bytes()[password.len().saturating_sub(8)..];
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        let mixed = u64::from_le_bytes(word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> 54) as usize % Self::SLOTS
    }

    fn holds(&self, pk: &Pk, password: &str, token: &str) -> bool {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots[Self::slot(password)].as_ref().is_some_and(|seen| {
            // Both compared whole (`&`, not `&&`): the time says nothing about either.
            (seen.pk == *pk)
                & constant_time_compare(seen.password.as_bytes(), password.as_bytes())
                & constant_time_compare(seen.token.as_bytes(), token.as_bytes())
        })
    }

    fn remember(&self, pk: &Pk, password: &str, token: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots[Self::slot(password)] = Some(SeenToken {
            pk: pk.clone(),
            password: password.to_owned(),
            token: token.to_owned(),
        });
    }
}

/// `str(user.pk) + user.password + str(timestamp)`.
#[inline]
fn hash_value(value: &mut Value, pk: &Pk, password: &str, days: u128) {
    pk.write_str_bytes(&mut |b| value.push(b));
    value.push(password.as_bytes());
    value.push_decimal(days);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_seen_before_is_checked_for_its_age_and_nothing_else_carries_over() {
        let generator = TokenapiTokenGenerator::new(&SecretKeys::new("k")).with_timeout_days(7);
        let seen = Seen::default();
        let (pk, password) = (Pk::Int(7), "pbkdf2_sha256$1$salt$digest=".to_owned());
        let token = generator.make_token_with_timestamp(&User::new(7, password.clone()), 9000);
        let check = |pk: &Pk, password: &str, token: &str, today: i64| {
            let remembered = generator.check_seen(&seen, pk, password, token, || today);
            assert_eq!(
                remembered,
                generator.check_parts(pk, password, token, || today)
            );
            remembered
        };
        for _ in 0..2 {
            assert_eq!(check(&pk, &password, &token, 9007), Verdict::Valid);
            assert_eq!(check(&pk, &password, &token, 9008), Verdict::Expired);
        }
        // Another pk, password or token (one character off) is checked from scratch.
        assert_eq!(
            check(&Pk::Int(8), &password, &token, 9000),
            Verdict::Invalid
        );
        assert_eq!(
            check(&pk, "pbkdf2_sha256$1$salt$other=", &token, 9000),
            Verdict::Invalid
        );
        let mut tampered = token.clone();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(tampered.len() - 1.., last);
        assert_eq!(check(&pk, &password, &tampered, 9000), Verdict::Invalid);
        assert_eq!(check(&pk, &password, &token, 9000), Verdict::Valid);
    }
}
