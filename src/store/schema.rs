//! The schema `migrate` creates for `auth` and `contenttypes`, as real Django created it
//! (captured by `fixtures/gen/schema.py` into `fixtures/schema/`).

use super::Dialect;
use crate::version::DjangoVersion;

macro_rules! scripts {
    ($($version:ident => $series:literal),* $(,)?) => {
        /// The SQL script for `version` in `dialect`.
        pub(super) fn script(version: DjangoVersion, dialect: Dialect) -> &'static str {
            match (version, dialect) {
                $(
                    (DjangoVersion::$version, Dialect::Sqlite) => include_str!(concat!("../../fixtures/schema/django-", $series, "/sqlite.sql")),
                    (DjangoVersion::$version, Dialect::Postgres) => include_str!(concat!("../../fixtures/schema/django-", $series, "/postgresql.sql")),
                    (DjangoVersion::$version, Dialect::Mysql) => include_str!(concat!("../../fixtures/schema/django-", $series, "/mysql.sql")),
                )*
            }
        }
    };
}

scripts! {
    V3_2 => "3.2",
    V4_0 => "4.0",
    V4_1 => "4.1",
    V4_2 => "4.2",
    V5_0 => "5.0",
    V5_1 => "5.1",
    V5_2 => "5.2",
    V6_0 => "6.0",
    V6_1 => "6.1",
}

/// Counts the `auth` and `contenttypes` rows of `django_migrations`.
pub(super) const MIGRATED: &str =
    "SELECT COUNT(*) FROM django_migrations WHERE app IN ('auth', 'contenttypes')";
