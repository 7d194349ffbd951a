//! How the domain's types sit in SQLite columns: ids and times as integers
//! (times in microseconds since the epoch, UTC), the closed sets as their
//! names (CHECK constraints hold them to those).

use rusqlite::{
    ToSql,
    types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef},
};

use crate::domain::{
    AccountKind, AdminId, AdminRole, CompanyId, MessageId, SenderType, Status, TicketId, Timestamp, UserId, WaitingOn,
};

macro_rules! integer_column {
    ($($ty:ident),*) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($ty)
            }
        }
    )*};
}

integer_column!(TicketId, MessageId, CompanyId, UserId, AdminId, Timestamp);

macro_rules! name_column {
    ($($ty:ident => $parse:expr),*) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text).ok_or_else(|| FromSqlError::Other(format!("{text:?} is not a {}", stringify!($ty)).into()))
            }
        }
    )*};
}

name_column!(
    Status => |s| Status::parse(s).ok(),
    AdminRole => |s| AdminRole::parse(s).ok(),
    SenderType => SenderType::parse,
    WaitingOn => |s| WaitingOn::parse(s).ok(),
    AccountKind => |s| [AccountKind::User, AccountKind::Admin].into_iter().find(|k| k.as_str() == s)
);
