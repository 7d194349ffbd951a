//! Companies, tenant users and their memberships, platform admins.
//! Users and admins share one shape (email, name, password hash, active flag,
//! token version), so the account functions take the kind.

use rusqlite::{Connection, OptionalExtension, named_params};
use serde::Serialize;
use serde_json::json;

use super::{
    DbError, DbResult,
    audit::{self, Actor, AuditMeta},
};
use crate::domain::{AdminRole, Email, FieldError, Name, Timestamp};

/// The two kinds of account: tenant users and platform admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    User,
    Admin,
}

impl AccountKind {
    fn table(self) -> &'static str {
        match self {
            AccountKind::User => "users",
            AccountKind::Admin => "platform_admins",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            AccountKind::User => "user",
            AccountKind::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub created_at: Timestamp,
}

/// A company as a member sees it in their list of companies.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Membership {
    pub id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
    #[serde(skip)]
    pub token_version: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Admin {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: AdminRole,
    pub active: bool,
    #[serde(skip)]
    pub token_version: i64,
    pub created_at: Timestamp,
}

/// What login needs: the stored hash and the account's state.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub fn create_company(conn: &Connection, name: &Name, actor: Actor, meta: &AuditMeta) -> DbResult<i64> {
    let now = Timestamp::now();
    conn.prepare_cached("INSERT INTO companies(name, created_at) VALUES (?1, ?2)")?
        .execute((name.as_str(), now.micros()))?;
    let id = conn.last_insert_rowid();
    audit::append(
        conn,
        &audit::Entry::new("company.create", actor).company(id).detail(json!({"name": name.as_str()})),
        meta,
    )?;
    Ok(id)
}

pub fn list_companies(conn: &Connection) -> DbResult<Vec<Company>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, created_at FROM companies ORDER BY name, id")?;
    let rows =
        stmt.query_map([], |r| Ok(Company { id: r.get(0)?, name: r.get(1)?, created_at: Timestamp(r.get(2)?) }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn company_exists(conn: &Connection, id: i64) -> DbResult<bool> {
    Ok(conn.prepare_cached("SELECT 1 FROM companies WHERE id = ?1")?.exists([id])?)
}

fn email_taken(conn: &Connection, kind: AccountKind, email: &Email) -> DbResult<bool> {
    let sql = format!("SELECT 1 FROM {} WHERE email = ?1", kind.table());
    Ok(conn.prepare_cached(&sql)?.exists([email.as_str()])?)
}

/// Creates a tenant user and makes them a manager of each company.
pub fn create_user(
    conn: &Connection,
    email: &Email,
    name: &Name,
    password_hash: &str,
    companies: &[i64],
    actor: Actor,
    meta: &AuditMeta,
) -> DbResult<i64> {
    if email_taken(conn, AccountKind::User, email)? {
        return Err(DbError::conflict("email_taken", format!("a user with email {} already exists", email.as_str())));
    }
    if companies.is_empty() {
        return Err(DbError::invalid(FieldError::new("company", "required", "a user belongs to at least one company")));
    }
    for &company in companies {
        if !company_exists(conn, company)? {
            return Err(DbError::invalid(FieldError::new(
                "company",
                "unknown_company",
                format!("company {company} does not exist"),
            )));
        }
    }
    let now = Timestamp::now().micros();
    conn.prepare_cached(
        "INSERT INTO users(email, name, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute((email.as_str(), name.as_str(), password_hash, now))?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO company_memberships(company_id, user_id, role, created_at) VALUES (?1, ?2, 'manager', ?3)",
    )?;
    for &company in companies {
        add.execute((company, id, now))?;
    }
    audit::append(
        conn,
        &audit::Entry::new("user.create", actor)
            .detail(json!({"user_id": id, "email": email.as_str(), "companies": companies})),
        meta,
    )?;
    Ok(id)
}

pub fn create_admin(
    conn: &Connection,
    email: &Email,
    name: &Name,
    role: AdminRole,
    password_hash: &str,
    actor: Actor,
    meta: &AuditMeta,
) -> DbResult<i64> {
    if email_taken(conn, AccountKind::Admin, email)? {
        return Err(DbError::conflict("email_taken", format!("an admin with email {} already exists", email.as_str())));
    }
    let now = Timestamp::now().micros();
    conn.prepare_cached(
        "INSERT INTO platform_admins(email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute((email.as_str(), name.as_str(), role.as_str(), password_hash, now))?;
    let id = conn.last_insert_rowid();
    audit::append(
        conn,
        &audit::Entry::new("admin.create", actor)
            .detail(json!({"admin_id": id, "email": email.as_str(), "role": role})),
        meta,
    )?;
    Ok(id)
}

/// The login lookup by email (case-insensitive).
pub fn credentials(conn: &Connection, kind: AccountKind, email: &str) -> DbResult<Option<Credentials>> {
    let sql = format!("SELECT id, password_hash, active FROM {} WHERE email = ?1", kind.table());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([email], |r| Ok(Credentials { id: r.get(0)?, password_hash: r.get(1)?, active: r.get(2)? }))
        .optional()?)
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        active: r.get(3)?,
        token_version: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
    })
}

fn admin_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Admin> {
    let role: String = r.get(3)?;
    Ok(Admin {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: AdminRole::parse(&role)
            .map_err(|_| rusqlite::Error::InvalidColumnType(3, "role".into(), rusqlite::types::Type::Text))?,
        active: r.get(4)?,
        token_version: r.get(5)?,
        created_at: Timestamp(r.get(6)?),
    })
}

pub fn user_by_id(conn: &Connection, id: i64) -> DbResult<Option<User>> {
    Ok(conn
        .prepare_cached("SELECT id, email, name, active, token_version, created_at FROM users WHERE id = ?1")?
        .query_row([id], user_from_row)
        .optional()?)
}

pub fn admin_by_id(conn: &Connection, id: i64) -> DbResult<Option<Admin>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, email, name, role, active, token_version, created_at FROM platform_admins WHERE id = ?1",
        )?
        .query_row([id], admin_from_row)
        .optional()?)
}

pub fn user_by_email(conn: &Connection, email: &str) -> DbResult<Option<User>> {
    Ok(conn
        .prepare_cached("SELECT id, email, name, active, token_version, created_at FROM users WHERE email = ?1")?
        .query_row([email], user_from_row)
        .optional()?)
}

pub fn admin_by_email(conn: &Connection, email: &str) -> DbResult<Option<Admin>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, email, name, role, active, token_version, created_at FROM platform_admins WHERE email = ?1",
        )?
        .query_row([email], admin_from_row)
        .optional()?)
}

/// The companies a user is a member of, by name.
pub fn memberships(conn: &Connection, user_id: i64) -> DbResult<Vec<Membership>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, m.role FROM company_memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = ?1 ORDER BY c.name, c.id",
    )?;
    let rows = stmt.query_map([user_id], |r| Ok(Membership { id: r.get(0)?, name: r.get(1)?, role: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account check of a tenant request: the user and their companies in
/// one indexed lookup (by id, then the memberships by user), so that a
/// disabled account or a changed password is seen on the very next request.
pub const USER_WITH_MEMBERSHIPS_SQL: &str = "SELECT u.id, u.email, u.name, u.active, u.token_version, u.created_at, \
     c.id, c.name, m.role FROM users u LEFT JOIN company_memberships m ON m.user_id = u.id \
     LEFT JOIN companies c ON c.id = m.company_id WHERE u.id = ?1";

pub fn user_with_memberships(conn: &Connection, id: i64) -> DbResult<Option<(User, Vec<Membership>)>> {
    let mut stmt = conn.prepare_cached(USER_WITH_MEMBERSHIPS_SQL)?;
    let mut rows = stmt.query([id])?;
    let mut found: Option<(User, Vec<Membership>)> = None;
    while let Some(r) = rows.next()? {
        let entry = match &mut found {
            Some(entry) => entry,
            None => found.insert((user_from_row(r)?, Vec::new())),
        };
        if let Some(company) = r.get::<_, Option<i64>>(6)? {
            entry.1.push(Membership { id: company, name: r.get(7)?, role: r.get(8)? });
        }
    }
    if let Some((_, companies)) = &mut found {
        companies.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    Ok(found)
}

pub fn list_users(conn: &Connection) -> DbResult<Vec<(User, Vec<Membership>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, email, name, active, token_version, created_at FROM users ORDER BY id")?;
    let users = stmt.query_map([], user_from_row)?.collect::<Result<Vec<_>, _>>()?;
    users
        .into_iter()
        .map(|u| {
            let m = memberships(conn, u.id)?;
            Ok((u, m))
        })
        .collect()
}

pub fn list_admins(conn: &Connection) -> DbResult<Vec<Admin>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, email, name, role, active, token_version, created_at FROM platform_admins ORDER BY id",
    )?;
    Ok(stmt.query_map([], admin_from_row)?.collect::<Result<_, _>>()?)
}

/// Disables an account and revokes its tokens (the token version moves on).
pub fn disable(conn: &Connection, kind: AccountKind, email: &str, actor: Actor, meta: &AuditMeta) -> DbResult<i64> {
    let sql = format!(
        "UPDATE {} SET active = 0, token_version = token_version + 1, updated_at = ?2 WHERE email = ?1 RETURNING id",
        kind.table()
    );
    let id: i64 = conn
        .prepare_cached(&sql)?
        .query_row((email, Timestamp::now().micros()), |r| r.get(0))
        .optional()?
        .ok_or(DbError::NotFound)?;
    let action = if kind == AccountKind::User { "user.disable" } else { "admin.disable" };
    audit::append(conn, &audit::Entry::new(action, actor).detail(json!({ format!("{}_id", kind.noun()): id })), meta)?;
    Ok(id)
}

/// Replaces an account's password hash and revokes its tokens.
pub fn set_password(
    conn: &Connection,
    kind: AccountKind,
    email: &str,
    password_hash: &str,
    actor: Actor,
    meta: &AuditMeta,
) -> DbResult<i64> {
    let sql = format!(
        "UPDATE {} SET password_hash = :hash, token_version = token_version + 1, updated_at = :now
         WHERE email = :email RETURNING id",
        kind.table()
    );
    let id: i64 = conn
        .prepare_cached(&sql)?
        .query_row(named_params! {":hash": password_hash, ":now": Timestamp::now().micros(), ":email": email}, |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(DbError::NotFound)?;
    let action = if kind == AccountKind::User { "user.password.update" } else { "admin.password.update" };
    audit::append(conn, &audit::Entry::new(action, actor).detail(json!({ format!("{}_id", kind.noun()): id })), meta)?;
    Ok(id)
}

/// Whether the database holds no platform owner yet (first start).
pub fn has_no_owner(conn: &Connection) -> DbResult<bool> {
    Ok(!conn.prepare_cached("SELECT 1 FROM platform_admins WHERE role = 'platform_owner'")?.exists([])?)
}
