//! django-axes' table `axes_accessattempt`: the one query djtoken runs on it (it never
//! writes there), and the values it reads. The lockout rules that use it are [`crate::axes`].

use chrono::NaiveDateTime;

use super::driver::Param;
use super::{Database, Dialect, StoreError};

/// One of the request attributes axes can lock out by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxesField {
    /// The submitted username (`AXES_USERNAME_FORM_FIELD`'s value).
    Username,
    /// The client's address.
    IpAddress,
    /// The `User-Agent` header, as axes stores it (`"<unknown>"` when absent, 255 characters).
    UserAgent,
}

impl AxesField {
    /// The parameter's name in `AXES_LOCKOUT_PARAMETERS`, which is also its column.
    pub fn as_str(self) -> &'static str {
        match self {
            AxesField::Username => "username",
            AxesField::IpAddress => "ip_address",
            AxesField::UserAgent => "user_agent",
        }
    }

    /// A parameter by its name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            AxesField::Username,
            AxesField::IpAddress,
            AxesField::UserAgent,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

/// What the store returns for one group: the failures counted, and the newest attempt among
/// them (naive UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AxesFailures {
    /// `SUM(failures_since_start)`.
    pub failures: i64,
    /// `MAX(attempt_time)`.
    pub latest: Option<NaiveDateTime>,
}

/// The query for one group and its text parameters (the `since` bound last, if any), in the
/// dialect's placeholders (`placeholder(n, field)`, `None` for `attempt_time`): a missing value
/// matches NULL, as Django's `filter(field=None)` does.
pub fn failures_sql(
    filters: &[(AxesField, Option<String>)],
    with_since: bool,
    placeholder: impl Fn(usize, Option<AxesField>) -> String,
) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    for (field, value) in filters {
        match value {
            Some(value) => {
                params.push(value.clone());
                conditions.push(format!(
                    "\"{}\" = {}",
                    field.as_str(),
                    placeholder(params.len(), Some(*field))
                ));
            }
            None => conditions.push(format!("\"{}\" IS NULL", field.as_str())),
        }
    }
    if with_since {
        conditions.push(format!(
            "\"attempt_time\" >= {}",
            placeholder(params.len() + 1, None)
        ));
    }
    let sql = format!(
        "SELECT COALESCE(SUM(\"failures_since_start\"), 0), MAX(\"attempt_time\") \
         FROM \"axes_accessattempt\"{}{}",
        if conditions.is_empty() { "" } else { " WHERE " },
        conditions.join(" AND ")
    );
    (sql, params)
}

impl Database {
    /// django-axes' failures for one lockout group (see [`crate::axes`]): the sum of
    /// `failures_since_start` and the newest `attempt_time` of the `axes_accessattempt` rows
    /// whose fields equal these values (NULL for `None`) and, with `since` (naive UTC), whose
    /// attempt is no older.
    pub async fn axes_failures(
        &self,
        filters: &[(AxesField, Option<String>)],
        since: Option<NaiveDateTime>,
    ) -> Result<AxesFailures, StoreError> {
        let dialect = self.dialect();
        // PostgreSQL: text parameters, cast where the column is not text (`inet`,
        // `timestamptz`), so the comparison stays on the column and its index.
        let (sql, params) = failures_sql(filters, since.is_some(), |n, field| {
            match (dialect, field) {
                (Dialect::Postgres, Some(AxesField::IpAddress)) => format!("${n}::text::inet"),
                (Dialect::Postgres, None) => format!("${n}::text::timestamptz"),
                _ => dialect.placeholder(n),
            }
        });
        let mut params: Vec<Param> = params.into_iter().map(Param::Text).collect();
        params.extend(since.map(Param::Naive));
        let Some(row) = self.row(&sql, params).await? else {
            return Ok(AxesFailures::default());
        };
        Ok(AxesFailures {
            failures: row.int(0, "axes_accessattempt.failures_since_start")?,
            latest: row.naive(1, "axes_accessattempt.attempt_time")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_one_where_clause_with_null_for_a_missing_value() {
        let (sql, params) = failures_sql(
            &[
                (AxesField::Username, Some("alice".into())),
                (AxesField::IpAddress, None),
            ],
            true,
            |n, _| format!("${n}"),
        );
        assert_eq!(
            sql,
            "SELECT COALESCE(SUM(\"failures_since_start\"), 0), MAX(\"attempt_time\") FROM \
             \"axes_accessattempt\" WHERE \"username\" = $1 AND \"ip_address\" IS NULL AND \
             \"attempt_time\" >= $2"
        );
        assert_eq!(params, ["alice"]);
    }
}
