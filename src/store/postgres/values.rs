//! How the domain's types sit in PostgreSQL columns: ids and times as
//! `bigint` (times in microseconds since the epoch, UTC), the closed sets as
//! their names in `text` (CHECK constraints hold them to those).

use std::error::Error;

use bytes::BytesMut;
use postgres_types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::domain::{
    AccountKind, AdminId, AdminRole, CompanyId, MessageId, SenderType, Status, TicketId, Timestamp, UserId, WaitingOn,
};

type BoxError = Box<dyn Error + Sync + Send>;

macro_rules! bigint_column {
    ($($ty:ident),*) => {$(
        impl ToSql for $ty {
            fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
                self.0.to_sql(ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <i64 as ToSql>::accepts(ty)
            }

            to_sql_checked!();
        }

        impl<'a> FromSql<'a> for $ty {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
                i64::from_sql(ty, raw).map($ty)
            }

            fn accepts(ty: &Type) -> bool {
                <i64 as FromSql>::accepts(ty)
            }
        }
    )*};
}

bigint_column!(TicketId, MessageId, CompanyId, UserId, AdminId, Timestamp);

macro_rules! name_column {
    ($($ty:ident => $parse:expr),*) => {$(
        impl ToSql for $ty {
            fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
                self.as_str().to_sql(ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as ToSql>::accepts(ty)
            }

            to_sql_checked!();
        }

        impl<'a> FromSql<'a> for $ty {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
                let text = <&str as FromSql>::from_sql(ty, raw)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text).ok_or_else(|| format!("{text:?} is not a {}", stringify!($ty)).into())
            }

            fn accepts(ty: &Type) -> bool {
                <&str as FromSql>::accepts(ty)
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
