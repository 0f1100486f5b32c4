//! django-axes' lockouts, read from its tables: a user or address locked out in Django is
//! locked out of djtoken's logins too.
//!
//! What axes' database handler decides (`AxesDatabaseHandler.get_failures` and
//! `is_locked`, axes 6–8): for each group of `AXES_LOCKOUT_PARAMETERS` (`"username"`,
//! `"ip_address"`, `"user_agent"`, or a list of them that must all match), the sum of
//! `failures_since_start` over the `axes_accessattempt` rows matching the attempt, counting
//! only rows whose `attempt_time` is within `AXES_COOLOFF_TIME` when one is set; the attempt is
//! locked out when the largest of those sums reaches `AXES_FAILURE_LIMIT`.
//!
//! djtoken only reads those rows: its own failed logins are counted by its own throttle
//! (`serve.login_throttle_*`), never written to axes' tables, and a success through djtoken
//! does not reset them (`AXES_RESET_ON_SUCCESS` is Django's to apply).

use std::time::Duration;

use chrono::NaiveDateTime;

pub use crate::store::axes::{AxesFailures, AxesField};
use crate::store::{Database, StoreError};

/// The login being attempted, as axes sees the request.
#[derive(Clone, Debug)]
pub struct AxesAttempt<'a> {
    /// The submitted username.
    pub username: &'a str,
    /// The client's address (`None`: unknown, which axes stores as NULL).
    pub ip_address: Option<&'a str>,
    /// The `User-Agent` header (`None`: absent).
    pub user_agent: Option<&'a str>,
}

impl AxesAttempt<'_> {
    fn value(&self, field: AxesField) -> Option<String> {
        match field {
            AxesField::Username => Some(self.username.to_owned()),
            AxesField::IpAddress => self.ip_address.map(str::to_owned),
            // `request.META.get("HTTP_USER_AGENT", "<unknown>")[:255]`.
            AxesField::UserAgent => Some(
                self.user_agent
                    .unwrap_or("<unknown>")
                    .chars()
                    .take(255)
                    .collect(),
            ),
        }
    }
}

/// An attempt axes would refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxesLocked {
    /// When the failures that lock it out leave the cool-off window (`None`: no
    /// `AXES_COOLOFF_TIME`, locked until an administrator resets it).
    pub retry_after: Option<Duration>,
}

/// The project's django-axes lockout settings.
#[derive(Clone, Debug, PartialEq)]
pub struct AxesLockout {
    /// `AXES_FAILURE_LIMIT`.
    pub failure_limit: u32,
    /// `AXES_COOLOFF_TIME`.
    pub cool_off: Option<Duration>,
    /// `AXES_LOCKOUT_PARAMETERS`: each group's fields must all match.
    pub parameters: Vec<Vec<AxesField>>,
}

impl AxesLockout {
    /// Whether axes would refuse `attempt` at `now` (naive UTC), from its tables.
    pub async fn check(
        &self,
        store: &Database,
        attempt: &AxesAttempt<'_>,
        now: NaiveDateTime,
    ) -> Result<Option<AxesLocked>, StoreError> {
        let since = self
            .cool_off
            .and_then(|c| chrono::Duration::from_std(c).ok())
            .map(|c| now - c);
        let mut locked: Option<AxesLocked> = None;
        for group in &self.parameters {
            let filters: Vec<(AxesField, Option<String>)> =
                group.iter().map(|&f| (f, attempt.value(f))).collect();
            let found = store.axes_failures(&filters, since).await?;
            if found.failures < i64::from(self.failure_limit) {
                continue;
            }
            // The newest counted row leaves the window last: free by then at the latest.
            let retry_after = match (since, found.latest) {
                (Some(since), Some(latest)) => Some((latest - since).to_std().unwrap_or_default()),
                _ => None,
            };
            locked = Some(match locked {
                // Locked by several groups: free when the last of them is.
                Some(before) => AxesLocked {
                    retry_after: before.retry_after.zip(retry_after).map(|(a, b)| a.max(b)),
                },
                None => AxesLocked { retry_after },
            });
        }
        Ok(locked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_is_read_as_axes_stores_it() {
        let attempt = AxesAttempt {
            username: "a",
            ip_address: None,
            user_agent: None,
        };
        assert_eq!(
            attempt.value(AxesField::UserAgent).as_deref(),
            Some("<unknown>")
        );
        let long = "é".repeat(300);
        let attempt = AxesAttempt {
            user_agent: Some(&long),
            ..attempt
        };
        assert_eq!(
            attempt
                .value(AxesField::UserAgent)
                .map(|s| s.chars().count()),
            Some(255)
        );
    }
}
