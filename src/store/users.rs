//! The user table's SQL, written once for every dialect: the lookups and updates
//! authentication needs, and the insert `user create` makes.

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::NewUser;
use super::dialect::Dialect;
use crate::user::{PkKind, UserModel};

/// The statements over the user table, built once from the model. Every `SELECT` returns
/// the same six columns, in the order the stores read them: pk, username, password, email,
/// last_login, is_active (`NULL` for a column the model lacks).
#[derive(Clone, Debug)]
pub struct UserQueries {
    /// The columns every lookup returns, and the table (`SELECT … FROM table`).
    pub select: String,
    /// By pk: `$1` is the pk.
    pub by_pk: String,
    /// By `USERNAME_FIELD`: `$1` is the username.
    pub by_username: String,
    /// A rehash: `$1` new hash, `$2` pk, `$3` the hash read before.
    pub set_password_if_unchanged: String,
    /// `user set-password`: `$1` new hash, `$2` username.
    pub set_password: String,
    /// Every user, by pk.
    pub list: String,
    /// Reads no row, but fails if the table or a configured column is missing.
    pub check: String,
}

impl UserQueries {
    /// The statements for `model` in `dialect`.
    pub fn new(model: &UserModel, dialect: Dialect) -> Self {
        let q = |name: &str| dialect.quote(name);
        let optional = |column: &Option<String>| column.as_deref().map_or("NULL".to_owned(), q);
        let select = format!(
            "SELECT {}, {}, {}, {}, {}, {} FROM {}",
            q(&model.pk_column),
            q(&model.username_field),
            q(&model.password_column),
            optional(&model.email_field),
            optional(&model.last_login_column),
            optional(&model.is_active_column),
            q(&model.table),
        );
        let p = |n| dialect.placeholder(n);
        UserQueries {
            by_pk: format!("{select} WHERE {} = {}", q(&model.pk_column), p(1)),
            by_username: format!("{select} WHERE {} = {}", q(&model.username_field), p(1)),
            set_password_if_unchanged: format!(
                "UPDATE {} SET {} = {} WHERE {} = {} AND {} = {}",
                q(&model.table),
                q(&model.password_column),
                p(1),
                q(&model.pk_column),
                p(2),
                q(&model.password_column),
                p(3)
            ),
            set_password: format!(
                "UPDATE {} SET {} = {} WHERE {} = {}",
                q(&model.table),
                q(&model.password_column),
                p(1),
                q(&model.username_field),
                p(2)
            ),
            list: format!("{select} ORDER BY {}", q(&model.pk_column)),
            check: format!("{select} WHERE 1 = 0"),
            select,
        }
    }
}

/// A value of the user insert, before a driver turns it into a parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A new UUID pk.
    Uuid(Uuid),
    /// `date_joined`, UTC.
    DateTime(NaiveDateTime),
}

/// The columns and values of `create_user` / `create_superuser` for the columns the table
/// has, and the insert statement.
#[derive(Clone, Debug)]
pub struct UserInsert {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// Their values.
    pub values: Vec<Value>,
}

impl UserInsert {
    /// The columns of Django's `AbstractUser` that `present` (the table's columns) has,
    /// filled as `create_user` / `create_superuser` fill them; a UUID pk is drawn here
    /// (`new_uuid`), an integer pk left to the database.
    pub fn new(model: &UserModel, user: &NewUser, present: &[String], new_uuid: Uuid) -> Self {
        let mut insert = UserInsert {
            columns: Vec::new(),
            values: Vec::new(),
        };
        let mut add = |column: &str, value: Value| {
            if present.iter().any(|p| p == column) && !insert.columns.iter().any(|c| c == column) {
                insert.columns.push(column.to_owned());
                insert.values.push(value);
            }
        };
        if model.pk_kind == PkKind::Uuid {
            add(&model.pk_column, Value::Uuid(new_uuid));
        }
        add(&model.username_field, Value::Text(user.username.clone()));
        add(&model.password_column, Value::Text(user.password.clone()));
        if let Some(email) = &model.email_field {
            add(email, Value::Text(user.email.clone()));
        }
        if let Some(active) = &model.is_active_column {
            add(active, Value::Bool(true));
        }
        add("is_superuser", Value::Bool(user.superuser));
        add("is_staff", Value::Bool(user.superuser));
        add("first_name", Value::Text(String::new()));
        add("last_name", Value::Text(String::new()));
        add("date_joined", Value::DateTime(user.date_joined));
        insert
    }

    /// `INSERT INTO table (…) VALUES (…)`, with `RETURNING pk` where the dialect has it.
    pub fn sql(&self, model: &UserModel, dialect: Dialect) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| dialect.quote(c)).collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            dialect.quote(&model.table),
            columns.join(", "),
            dialect.placeholders(columns.len())
        );
        if dialect == Dialect::Postgres {
            sql.push_str(&format!(" RETURNING {}", dialect.quote(&model.pk_column)));
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_quote_every_name_and_use_the_dialects_placeholders() {
        let model = UserModel::default();
        let pg = UserQueries::new(&model, Dialect::Postgres);
        assert_eq!(
            pg.by_pk,
            "SELECT \"id\", \"username\", \"password\", \"email\", \"last_login\", \"is_active\" FROM \"auth_user\" WHERE \"id\" = $1"
        );
        let sqlite = UserQueries::new(&model, Dialect::Sqlite);
        assert!(
            sqlite
                .set_password_if_unchanged
                .ends_with("\"id\" = ?2 AND \"password\" = ?3")
        );
    }

    #[test]
    fn the_insert_fills_only_the_columns_the_table_has() {
        let model = UserModel {
            pk_kind: PkKind::Uuid,
            is_active_column: None,
            ..UserModel::default()
        };
        let user = NewUser {
            username: "bob".into(),
            email: "bob@example.com".into(),
            password: "!".into(),
            superuser: false,
            date_joined: NaiveDateTime::default(),
        };
        let present: Vec<String> = ["id", "username", "password", "date_joined"]
            .map(String::from)
            .to_vec();
        let insert = UserInsert::new(&model, &user, &present, Uuid::nil());
        assert_eq!(
            insert.columns,
            ["id", "username", "password", "date_joined"]
        );
        assert_eq!(insert.values[0], Value::Uuid(Uuid::nil()));
        assert_eq!(
            insert.sql(&model, Dialect::Postgres),
            "INSERT INTO \"auth_user\" (\"id\", \"username\", \"password\", \"date_joined\") VALUES ($1, $2, $3, $4) RETURNING \"id\""
        );
    }
}
