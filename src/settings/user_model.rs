//! How `AUTH_USER_MODEL` maps onto its table.

use super::{Settings, SettingsError, invalid};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::user::{InvalidIdentifier, PkKind, UserModel};
/// The user model's table and columns; `none` for an optional column the model lacks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct UserModelSettings {
    /// `db_table` (`schema.table` allowed).
    #[serde(rename = "TABLE")]
    pub table: String,
    /// The primary-key column.
    #[serde(rename = "PK_COLUMN")]
    pub pk_column: String,
    /// `integer`, `biginteger`, `uuid` or `string`.
    #[serde(
        rename = "PK_TYPE",
        deserialize_with = "from_text",
        serialize_with = "pk_kind_text"
    )]
    pub pk_type: PkKind,
    /// `USERNAME_FIELD`'s column.
    #[serde(rename = "USERNAME_FIELD")]
    pub username_field: String,
    /// `EMAIL_FIELD`'s column, or `none`.
    #[serde(
        rename = "EMAIL_FIELD",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub email_field: Option<String>,
    /// The password column.
    #[serde(rename = "PASSWORD_COLUMN")]
    pub password_column: String,
    /// The `last_login` column, or `none`.
    #[serde(
        rename = "LAST_LOGIN_COLUMN",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub last_login_column: Option<String>,
    /// The `is_active` column, or `none` (every user active).
    #[serde(
        rename = "IS_ACTIVE_COLUMN",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub is_active_column: Option<String>,
}

impl Default for UserModelSettings {
    fn default() -> Self {
        let model = UserModel::default();
        UserModelSettings {
            table: model.table,
            pk_column: model.pk_column,
            pk_type: model.pk_kind,
            username_field: model.username_field,
            email_field: model.email_field,
            password_column: model.password_column,
            last_login_column: model.last_login_column,
            is_active_column: model.is_active_column,
        }
    }
}

/// `none` (any case) or empty: the model has no such column.
pub fn column_or_none(text: &str) -> Option<String> {
    (!text.eq_ignore_ascii_case("none") && !text.is_empty()).then(|| text.to_owned())
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
