//! django-axes' table `axes_accessattempt`: the one query djtoken runs on it (it never
//! writes there). The lockout rules that use it are [`crate::axes`].

use crate::axes::AxesField;

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
