//! The user table's SQL, written once for every dialect: the lookups and updates
//! authentication needs, and the insert `user create` makes.

use uuid::Uuid;

use super::dialect::Dialect;
use super::driver::Param;
use super::{Database, Driver, NewUser, StoreError};
use crate::user::{Pk, PkKind, User, UserModel};

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

/// The columns and values of `create_user` / `create_superuser` for the columns the table
/// has, and the insert statement.
#[derive(Clone, Debug)]
pub struct UserInsert {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// Their values.
    pub values: Vec<Param>,
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
        let mut add = |column: &str, value: Param| {
            if present.iter().any(|p| p == column) && !insert.columns.iter().any(|c| c == column) {
                insert.columns.push(column.to_owned());
                insert.values.push(value);
            }
        };
        if model.pk_kind == PkKind::Uuid {
            add(&model.pk_column, Param::Pk(Pk::Uuid(new_uuid)));
        }
        add(&model.username_field, Param::Text(user.username.clone()));
        add(&model.password_column, Param::Text(user.password.clone()));
        if let Some(email) = &model.email_field {
            add(email, Param::Text(user.email.clone()));
        }
        if let Some(active) = &model.is_active_column {
            add(active, Param::Bool(true));
        }
        add("is_superuser", Param::Bool(user.superuser));
        add("is_staff", Param::Bool(user.superuser));
        add("first_name", Param::Text(String::new()));
        add("last_name", Param::Text(String::new()));
        add("date_joined", Param::Naive(user.date_joined));
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

impl Database {
    /// The user with this pk.
    pub async fn user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        match &self.driver {
            // Batched with the other lookups on their way, and kept while the trigger says
            // nothing changed.
            #[cfg(feature = "postgres")]
            Driver::Postgres(pg) => pg.user_by_pk(pk).await,
            // Kept while the file's change counter stays the same.
            #[cfg(feature = "sqlite")]
            Driver::Sqlite(sqlite) => {
                let counter = sqlite.change_counter();
                if let Some(user) = counter.and_then(|c| sqlite.cached_user(c, pk)) {
                    return Ok(user);
                }
                let user = self.read_user_by_pk(pk).await?;
                if let Some(counter) = counter {
                    sqlite.keep_user(counter, pk, &user);
                }
                Ok(user)
            }
            #[allow(unreachable_patterns)]
            _ => self.read_user_by_pk(pk).await,
        }
    }

    async fn read_user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        let row = self
            .row(&self.queries.users.by_pk, vec![Param::Pk(pk.clone())])
            .await?;
        row.map(|row| row.into_user(self.model().pk_kind))
            .transpose()
    }

    /// The user whose `USERNAME_FIELD` equals `username` as the database compares it
    /// (Django's exact lookup: no normalisation; case-sensitive on SQLite and PostgreSQL,
    /// the column's collation on MySQL, case- and trailing-space-insensitive by default).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        // PostgreSQL text cannot hold NUL; no row can match (Django raises ValueError here).
        if self.dialect() == Dialect::Postgres && username.contains('\0') {
            return Ok(None);
        }
        let row = self
            .row(&self.queries.users.by_username, vec![Param::text(username)])
            .await?;
        row.map(|row| row.into_user(self.model().pk_kind))
            .transpose()
    }

    /// `UPDATE … SET password = new WHERE pk = … AND password = old`: a rehash that never
    /// overwrites a password changed in the meantime. Whether the row was updated.
    pub async fn set_password_if_unchanged(
        &self,
        pk: &Pk,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let params = vec![Param::text(new), Param::Pk(pk.clone()), Param::text(old)];
        let sql = &self.queries.users.set_password_if_unchanged;
        Ok(self.execute(sql, params).await? == 1)
    }

    /// Set the password of the user `username`; whether such a user exists.
    pub async fn set_password(&self, username: &str, encoded: &str) -> Result<bool, StoreError> {
        let params = vec![Param::text(encoded), Param::text(username)];
        Ok(self
            .execute(&self.queries.users.set_password, params)
            .await?
            > 0)
    }

    /// Every user, by pk.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self.rows(&self.queries.users.list, Vec::new()).await?;
        let kind = self.model().pk_kind;
        rows.into_iter().map(|row| row.into_user(kind)).collect()
    }

    /// Whether the user table and every configured column exist: reads no row, and fails
    /// with the database's own words ("no such table: …", "column … does not exist").
    pub async fn check_user_table(&self) -> Result<(), StoreError> {
        let sql = &self.queries.users.check;
        match &self.driver {
            #[cfg(feature = "sqlite")]
            Driver::Sqlite(sqlite) => sqlite.check_table(sql).await,
            #[allow(unreachable_patterns)]
            _ => self.rows(sql, Vec::new()).await.map(drop),
        }
    }

    /// Insert a user; the columns of Django's `AbstractUser` that the table has are filled as
    /// `create_user` / `create_superuser` fill them. Returns the new pk.
    pub async fn create_user(&self, user: &NewUser) -> Result<Pk, StoreError> {
        if self.model().pk_kind == PkKind::String {
            return Err(StoreError::Refused(
                "djtoken cannot choose a text primary key; create such users with Django".into(),
            ));
        }
        if self.dialect() == Dialect::Postgres && user.username.contains('\0') {
            return Err(StoreError::Refused(
                "a username cannot contain NUL on PostgreSQL".into(),
            ));
        }
        if self.user_by_username(&user.username).await?.is_some() {
            return Err(StoreError::Refused(format!(
                "a user {:?} already exists",
                user.username
            )));
        }
        let columns = self.user_table_columns().await?;
        let insert = UserInsert::new(self.model(), user, &columns, super::uuid4());
        let sql = insert.sql(self.model(), self.dialect());
        let new_uuid = insert.values.iter().find_map(|v| match v {
            Param::Pk(pk @ Pk::Uuid(_)) => Some(pk.clone()),
            _ => None,
        });
        let id = self.insert(&sql, insert.values).await?;
        match (new_uuid, id) {
            (Some(pk), _) => Ok(pk),
            (None, Some(id)) => Ok(Pk::Int(id)),
            (None, None) => Err(StoreError::Query {
                database: self.database().to_owned(),
                reason: "the insert reported no new pk".into(),
            }),
        }
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
            date_joined: chrono::NaiveDateTime::default(),
        };
        let present: Vec<String> = ["id", "username", "password", "date_joined"]
            .map(String::from)
            .to_vec();
        let insert = UserInsert::new(&model, &user, &present, Uuid::nil());
        assert_eq!(
            insert.columns,
            ["id", "username", "password", "date_joined"]
        );
        assert_eq!(insert.values[0], Param::Pk(Pk::Uuid(Uuid::nil())));
        assert_eq!(
            insert.sql(&model, Dialect::Postgres),
            "INSERT INTO \"auth_user\" (\"id\", \"username\", \"password\", \"date_joined\") VALUES ($1, $2, $3, $4) RETURNING \"id\""
        );
    }
}
