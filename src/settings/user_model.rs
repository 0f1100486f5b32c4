//! How `AUTH_USER_MODEL` maps onto its table.

use super::declare_settings;
use super::{Settings, SettingsError, invalid};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::user::{InvalidIdentifier, PkKind, UserModel};
declare_settings! {
    /// The user model's table and columns; `none` for an optional column the model lacks.
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
    pub struct UserModelSettings {
        /// The user model's table, `db_table` (`schema.table` allowed).
        "TABLE" table: String = UserModel::default().table
            => Store "--user-table" env "DJTOKEN_USER_TABLE";
        /// The primary-key column.
        "PK_COLUMN" pk_column: String = UserModel::default().pk_column
            => Store "--pk-column" env "DJTOKEN_PK_COLUMN";
        /// The primary key's kind: `integer`, `biginteger`, `uuid` or `string`.
        #[serde(deserialize_with = "from_text", serialize_with = "pk_kind_text")]
        "PK_TYPE" pk_type: PkKind = UserModel::default().pk_kind
            => Store "--pk-type" env "DJTOKEN_PK_TYPE";
        /// `USERNAME_FIELD`'s column.
        "USERNAME_FIELD" username_field: String = UserModel::default().username_field
            => Store "--username-field" env "DJTOKEN_USERNAME_FIELD";
        /// `EMAIL_FIELD`'s column, or `none`.
        #[serde(deserialize_with = "optional_column", serialize_with = "column_text")]
        "EMAIL_FIELD" email_field: Option<String> = UserModel::default().email_field
            => Store "--email-field" env "DJTOKEN_EMAIL_FIELD" parse column_flag;
        /// The password column.
        "PASSWORD_COLUMN" password_column: String = UserModel::default().password_column
            => Store "--password-column" env "DJTOKEN_PASSWORD_COLUMN";
        /// The `last_login` column, or `none`.
        #[serde(deserialize_with = "optional_column", serialize_with = "column_text")]
        "LAST_LOGIN_COLUMN" last_login_column: Option<String> =
            UserModel::default().last_login_column
            => Store "--last-login-column" env "DJTOKEN_LAST_LOGIN_COLUMN" parse column_flag;
        /// The `is_active` column, or `none` (every user active, as tokenapi allows).
        #[serde(deserialize_with = "optional_column", serialize_with = "column_text")]
        "IS_ACTIVE_COLUMN" is_active_column: Option<String> =
            UserModel::default().is_active_column
            => Store "--is-active-column" env "DJTOKEN_IS_ACTIVE_COLUMN" parse column_flag;
    }
}

/// `none` (any case) or empty: the model has no such column.
pub fn column_or_none(text: &str) -> Option<String> {
    (!text.eq_ignore_ascii_case("none") && !text.is_empty()).then(|| text.to_owned())
}

/// An optional column from a flag's text: [`column_or_none`].
pub fn column_flag(text: &str) -> Result<Option<String>, String> {
    Ok(column_or_none(text))
}

fn optional_column<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(column_or_none(&String::deserialize(d)?))
}

fn column_text<S: Serializer>(column: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(column.as_deref().unwrap_or("none"))
}

fn pk_kind_text<S: Serializer>(kind: &PkKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

fn from_text<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

impl Settings {
    /// The user model, with every name checked.
    pub fn user_model(&self) -> Result<UserModel, SettingsError> {
        let m = &self.user_model;
        let model = UserModel {
            table: m.table.clone(),
            pk_column: m.pk_column.clone(),
            pk_kind: m.pk_type,
            username_field: m.username_field.clone(),
            email_field: m.email_field.clone(),
            password_column: m.password_column.clone(),
            last_login_column: m.last_login_column.clone(),
            is_active_column: m.is_active_column.clone(),
        };
        model
            .validate()
            .map_err(|e: InvalidIdentifier| invalid("USER_MODEL", e.to_string()))?;
        Ok(model)
    }
}
