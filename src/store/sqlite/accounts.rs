//! Companies, tenant users and their memberships, platform admins. Users and
//! admins share one shape (email, name, password hash, active flag, token
//! version), so the account primitives take the kind.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, named_params};

use super::SqliteTx;
use crate::{
    domain::{AccountKind, AdminId, AdminRole, CompanyId, Timestamp, UserId},
    store::{
        AccountRecord, AccountTx, AdminRecord, CompanyRecord, Credentials, Membership, Named, StoreResult, UserRecord,
    },
};

fn table(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "users",
        AccountKind::Admin => "platform_admins",
    }
}

const USER_COLUMNS: &str = "id, email, name, active, token_version, created_at";
const ADMIN_COLUMNS: &str = "id, email, name, role, active, token_version, created_at";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(AccountRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        active: r.get(3)?,
        token_version: r.get(4)?,
        created: r.get(5)?,
    })
}

fn admin_from_row(r: &Row<'_>) -> rusqlite::Result<AdminRecord> {
    Ok(AdminRecord {
        role: r.get(3)?,
        account: AccountRecord {
            id: r.get(0)?,
            email: r.get(1)?,
            name: r.get(2)?,
            active: r.get(4)?,
            token_version: r.get(5)?,
            created: r.get(6)?,
        },
    })
}

/// The account check of a tenant request: the user and their companies in
/// one indexed lookup (by id, then the memberships by user), so that a
/// disabled account or a changed password is seen on the very next request.
pub const USER_WITH_MEMBERSHIPS_SQL: &str = "SELECT u.id, u.email, u.name, u.active, u.token_version, u.created_at, \
     c.id, c.name, m.role FROM users u LEFT JOIN company_memberships m ON m.user_id = u.id \
     LEFT JOIN companies c ON c.id = m.company_id WHERE u.id = ?1";

#[async_trait]
impl AccountTx for SqliteTx<'_> {
    async fn insert_company(&mut self, name: &str, at: Timestamp) -> StoreResult<CompanyId> {
        self.conn.prepare_cached("INSERT INTO companies(name, created_at) VALUES (?1, ?2)")?.execute((name, at))?;
        Ok(CompanyId(self.conn.last_insert_rowid()))
    }

    async fn companies(&mut self) -> StoreResult<Vec<CompanyRecord>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, created_at FROM companies ORDER BY name, id")?;
        let rows = stmt.query_map([], |r| Ok(CompanyRecord { id: r.get(0)?, name: r.get(1)?, created: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn company_exists(&mut self, id: CompanyId) -> StoreResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM companies WHERE id = ?1")?.exists([id])?)
    }

    async fn email_taken(&mut self, kind: AccountKind, email: &str) -> StoreResult<bool> {
        let sql = format!("SELECT 1 FROM {} WHERE email = ?1", table(kind));
        Ok(self.conn.prepare_cached(&sql)?.exists([email])?)
    }

    async fn insert_user(
        &mut self,
        email: &str,
        name: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<UserId> {
        self.conn
            .prepare_cached(
                "INSERT INTO users(email, name, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute((email, name, password_hash, at))?;
        Ok(UserId(self.conn.last_insert_rowid()))
    }

    async fn add_membership(&mut self, company: CompanyId, user: UserId, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO company_memberships(company_id, user_id, role, created_at)
                 VALUES (?1, ?2, 'manager', ?3)",
            )?
            .execute((company, user, at))?;
        Ok(())
    }

    async fn insert_admin(
        &mut self,
        email: &str,
        name: &str,
        role: AdminRole,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<AdminId> {
        self.conn
            .prepare_cached(
                "INSERT INTO platform_admins(email, name, role, password_hash, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute((email, name, role, password_hash, at))?;
        Ok(AdminId(self.conn.last_insert_rowid()))
    }

    async fn credentials(&mut self, kind: AccountKind, email: &str) -> StoreResult<Option<Credentials>> {
        let sql = format!("SELECT id, password_hash, active FROM {} WHERE email = ?1", table(kind));
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([email], |r| Ok(Credentials { id: r.get(0)?, password_hash: r.get(1)?, active: r.get(2)? }))
            .optional()?)
    }

    async fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], user_from_row).optional()?)
    }

    async fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([email], user_from_row).optional()?)
    }

    async fn user_with_memberships(&mut self, id: UserId) -> StoreResult<Option<(UserRecord, Vec<Membership>)>> {
        let mut stmt = self.conn.prepare_cached(USER_WITH_MEMBERSHIPS_SQL)?;
        let mut rows = stmt.query([id])?;
        let mut found: Option<(UserRecord, Vec<Membership>)> = None;
        while let Some(r) = rows.next()? {
            let entry = match &mut found {
                Some(entry) => entry,
                None => found.insert((user_from_row(r)?, Vec::new())),
            };
            if let Some(company) = r.get::<_, Option<CompanyId>>(6)? {
                entry.1.push(Membership { company: Named { id: company, name: r.get(7)? }, role: r.get(8)? });
            }
        }
        if let Some((_, companies)) = &mut found {
            companies.sort_by(|a, b| a.company.name.cmp(&b.company.name).then(a.company.id.cmp(&b.company.id)));
        }
        Ok(found)
    }

    async fn memberships(&mut self, user: UserId) -> StoreResult<Vec<Membership>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.name, m.role FROM company_memberships m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = ?1 ORDER BY c.name, c.id",
        )?;
        let rows = stmt.query_map([user], |r| {
            Ok(Membership { company: Named { id: r.get(0)?, name: r.get(1)? }, role: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn users(&mut self) -> StoreResult<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([], user_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn admin(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins WHERE id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], admin_from_row).optional()?)
    }

    async fn admin_for_change(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>> {
        // One writer: nothing can change the row before this transaction ends.
        self.admin(id).await
    }

    async fn admin_by_email(&mut self, email: &str) -> StoreResult<Option<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins WHERE email = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([email], admin_from_row).optional()?)
    }

    async fn admins(&mut self) -> StoreResult<Vec<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([], admin_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn disable_account(&mut self, kind: AccountKind, email: &str, at: Timestamp) -> StoreResult<Option<i64>> {
        let sql = format!(
            "UPDATE {} SET active = 0, token_version = token_version + 1, updated_at = ?2 WHERE email = ?1 RETURNING id",
            table(kind)
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row((email, at), |r| r.get(0)).optional()?)
    }

    async fn set_password_hash(
        &mut self,
        kind: AccountKind,
        email: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<i64>> {
        let sql = format!(
            "UPDATE {} SET password_hash = :hash, token_version = token_version + 1, updated_at = :now
             WHERE email = :email RETURNING id",
            table(kind)
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(named_params! {":hash": password_hash, ":now": at, ":email": email}, |r| r.get(0))
            .optional()?)
    }

    async fn account_count(&mut self) -> StoreResult<i64> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM platform_admins) + (SELECT count(*) FROM users)",
            [],
            |r| r.get(0),
        )?)
    }

    async fn has_owner(&mut self) -> StoreResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM platform_admins WHERE role = 'platform_owner'")?.exists([])?)
    }
}
