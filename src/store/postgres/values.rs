//! Parameters bound as the statement's types say, and values read as [`Cell`]s.

use chrono::{DateTime, NaiveDateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::pk_in_range;
use crate::store::StoreError;
use crate::store::driver::{Cell, Param};
use crate::user::Pk;

/// A parameter bound for tokio-postgres.
pub(super) type Owned = Box<dyn ToSql + Sync + Send>;

/// A parameter as bound: the caller's text as it is, or a value made for the column's type.
pub(super) enum Bound<'a> {
    /// Text, bound without a copy.
    Borrowed(&'a (dyn ToSql + Sync)),
    /// A value converted for the placeholder's type.
    Owned(Owned),
}

/// `NULL` as the type the statement wants.
fn null(ty: &Type) -> Owned {
    match *ty {
        Type::BOOL => Box::new(None::<bool>),
        Type::INT2 => Box::new(None::<i16>),
        Type::INT4 => Box::new(None::<i32>),
        Type::INT8 => Box::new(None::<i64>),
        Type::UUID => Box::new(None::<Uuid>),
        Type::TIMESTAMPTZ => Box::new(None::<DateTime<Utc>>),
        Type::TIMESTAMP => Box::new(None::<NaiveDateTime>),
        _ => Box::new(None::<String>),
    }
}

/// Whether PostgreSQL sends `ty` as text (`citext` too).
fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    ) || ty.name() == "citext"
}

/// Each parameter as the type the statement's placeholder has: a pk as the column's integer
/// width or `uuid`, an instant as `timestamptz` (or naive as `times` says for `timestamp`,
/// or ISO text where the statement casts text).
pub(super) fn bind_all<'a>(
    params: &'a [Param],
    types: &[Type],
) -> Result<Vec<Bound<'a>>, StoreError> {
    params
        .iter()
        .zip(types)
        .map(|(param, ty)| bind(param, ty))
        .collect()
}

fn bind<'a>(param: &'a Param, ty: &Type) -> Result<Bound<'a>, StoreError> {
    let int =
        |i: i64| -> Result<Owned, StoreError> {
            Ok(match *ty {
                Type::INT2 => Box::new(i16::try_from(i).map_err(|_| {
                    StoreError::Refused(format!("{i} is out of range for a smallint"))
                })?),
                Type::INT4 => Box::new(pk_in_range(i)?),
                _ if is_text(ty) => Box::new(i.to_string()),
                _ => Box::new(i),
            })
        };
    let naive = |n: NaiveDateTime| -> Owned {
        match *ty {
            Type::TIMESTAMP => Box::new(n),
            Type::TIMESTAMPTZ => Box::new(n.and_utc()),
            _ => Box::new(n.and_utc().to_rfc3339()),
        }
    };
    Ok(Bound::Owned(match param {
        Param::Text(text) | Param::Pk(Pk::Str(text)) => return Ok(Bound::Borrowed(text)),
        Param::Null => null(ty),
        Param::Int(i) | Param::Pk(Pk::Int(i)) => int(*i)?,
        Param::Bool(b) => Box::new(*b),
        Param::Pk(Pk::Uuid(u)) if is_text(ty) => Box::new(u.to_string()),
        Param::Pk(Pk::Uuid(u)) => Box::new(*u),
        Param::At(at, _) if *ty == Type::TIMESTAMPTZ => Box::new(*at),
        Param::At(at, times) if *ty == Type::TIMESTAMP => Box::new(times.naive(*at)),
        Param::At(at, _) => naive(at.naive_utc()),
        Param::Naive(n) => naive(*n),
    }))
}

pub(super) fn refs<'a>(bound: &'a [Bound<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    bound
        .iter()
        .map(|b| match b {
            Bound::Borrowed(value) => *value,
            Bound::Owned(value) => value.as_ref() as &(dyn ToSql + Sync),
        })
        .collect()
}

/// A row's values as [`Cell`]s, by their column types.
pub(super) fn cells(row: &Row) -> Vec<Cell> {
    (0..row.len()).map(|i| cell(row, i)).collect()
}

fn cell(row: &Row, i: usize) -> Cell {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a Row,
        i: usize,
        to: impl FnOnce(T) -> Cell,
    ) -> Result<Cell, tokio_postgres::Error> {
        row.try_get::<_, Option<T>>(i)
            .map(|v| v.map_or(Cell::Null, to))
    }
    let ty = row.columns()[i].type_();
    match *ty {
        Type::BOOL => get(row, i, Cell::Bool),
        Type::INT2 => get(row, i, |v: i16| Cell::Int(i64::from(v))),
        Type::INT4 => get(row, i, |v: i32| Cell::Int(i64::from(v))),
        Type::INT8 => get(row, i, Cell::Int),
        Type::UUID => get(row, i, Cell::Uuid),
        Type::TIMESTAMPTZ => get(row, i, Cell::At),
        Type::TIMESTAMP => get(row, i, Cell::Naive),
        _ => get(row, i, Cell::Text),
    }
    .unwrap_or_else(|e| Cell::Other(format!("{ty}: {e}")))
}
