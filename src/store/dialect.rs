//! What differs between the databases in the SQL djtoken writes: placeholders, quoting, and
//! the schema `migrate` creates. Everything dialect-specific that is text lives here; what
//! differs in behaviour (batched lookups on PostgreSQL, lock waits on SQLite) lives in the
//! store of that database.

/// A database's SQL dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?1` placeholders.
    Sqlite,
    /// PostgreSQL: `$1` placeholders.
    Postgres,
    /// MySQL and MariaDB: `?` placeholders; double-quoted names (each connection sets
    /// `ANSI_QUOTES`).
    Mysql,
}

impl Dialect {
    /// The `n`th (1-based) parameter placeholder. Number them in the order they are written:
    /// MySQL's `?` are positional, whatever number was asked for.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
            Dialect::Mysql => "?".to_owned(),
        }
    }

    /// `n` placeholders from the first, comma-separated.
    pub fn placeholders(self, n: usize) -> String {
        (1..=n)
            .map(|i| self.placeholder(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `"name"` (or `"schema"."name"`), for a name the user model's validation accepted.
    /// Every dialect quotes with double quotes (MySQL under `ANSI_QUOTES`).
    pub fn quote(self, name: &str) -> String {
        crate::user::quote_identifier(name)
    }

    /// The name of the schema file `fixtures/gen/schema.py` captured for this dialect.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::Mysql => "mysql",
        }
    }

    /// What ends an `INSERT` that must do nothing when a unique key is taken (and report no
    /// row). MySQL has no such clause that keeps other errors errors (`INSERT IGNORE` turns
    /// a missing user into a warning): its store reads "duplicate entry" as no row instead.
    pub fn or_nothing(self) -> &'static str {
        match self {
            Dialect::Sqlite | Dialect::Postgres => " ON CONFLICT DO NOTHING",
            Dialect::Mysql => "",
        }
    }
}
