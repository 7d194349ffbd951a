//! Companies, tenant users and their memberships, platform admins. Users and
//! admins share one shape (email, name, password hash, active flag, token
//! version), so the account primitives take the kind.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params, types::Value};

use super::{SqliteTx, query::Sql};
use crate::{
    domain::{AccountKind, AdminId, AdminRole, CompanyId, Cursor, PageRequest, Timestamp, UserId},
    store::sql::{COMPANY_COLUMNS, COMPANY_COUNTS, account_table as table, like_escape},
    store::{
        AccountRecord, AccountTx, AdminRecord, CompanyOverview, CompanyRecord, Credentials, InvitationInsert,
        InvitationRecord, Membership, Named, StoreResult, UserRecord,
    },
};

const USER_COLUMNS: &str = "id, email, name, active, token_version, created_at";
pub(super) const ADMIN_COLUMNS: &str = "id, email, name, role, active, token_version, created_at";

fn company_from_row(r: &Row<'_>) -> rusqlite::Result<CompanyRecord> {
    Ok(CompanyRecord { id: r.get(0)?, name: r.get(1)?, active: r.get(2)?, created: r.get(3)? })
}

fn overview_from_row(r: &Row<'_>) -> rusqlite::Result<CompanyOverview> {
    Ok(CompanyOverview { company: company_from_row(r)?, managers: r.get(4)?, open_tickets: r.get(5)? })
}

fn membership_from_row(r: &Row<'_>) -> rusqlite::Result<Membership> {
    Ok(Membership { company: Named { id: r.get(0)?, name: r.get(1)? }, role: r.get(2)?, active: r.get(3)? })
}

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

pub(super) fn admin_from_row(r: &Row<'_>) -> rusqlite::Result<AdminRecord> {
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

/// The account check of a tenant request: the user, their companies and
/// whether the token's id (`?2`) was revoked, in one statement of indexed
/// lookups (the user by id, the memberships by user, the token by id), so
/// that a disabled account, a changed password or a sign-out is seen on the
/// very next request.
pub const USER_SESSION_SQL: &str = "SELECT u.id, u.email, u.name, u.active, u.token_version, u.created_at, \
     c.id, c.name, m.role, c.active, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2) \
     FROM users u LEFT JOIN company_memberships m ON m.user_id = u.id \
     LEFT JOIN companies c ON c.id = m.company_id WHERE u.id = ?1";

#[async_trait]
impl AccountTx for SqliteTx<'_> {
    async fn insert_company(&mut self, name: &str, name_key: &str, at: Timestamp) -> StoreResult<CompanyId> {
        self.conn
            .prepare_cached("INSERT INTO companies(name, name_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)")?
            .execute((name, name_key, at))?;
        Ok(CompanyId(self.conn.last_insert_rowid()))
    }

    async fn company_by_name_key(&mut self, name_key: &str) -> StoreResult<Option<CompanyId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM companies WHERE name_key = ?1")?
            .query_row([name_key], |r| r.get(0))
            .optional()?)
    }

    async fn companies(&mut self) -> StoreResult<Vec<CompanyRecord>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM companies c ORDER BY c.name, c.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([], company_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn company(&mut self, id: CompanyId) -> StoreResult<Option<CompanyRecord>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM companies c WHERE c.id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], company_from_row).optional()?)
    }

    async fn company_page(&mut self, search: Option<&str>, page: &PageRequest) -> StoreResult<Vec<CompanyOverview>> {
        let mut sql = Sql::new(&format!("SELECT {COMPANY_COLUMNS}, {COMPANY_COUNTS} FROM companies c WHERE 1"));
        if let Some(words) = search {
            // The name contains the words as typed (case-insensitively, as
            // `name_key` is folded); `%` and `_` match themselves.
            let pattern = format!("%{}%", like_escape(&words.trim().to_lowercase()));
            sql.and("c.name_key LIKE ? ESCAPE '\\'", [Value::Text(pattern)]);
        }
        if let Some(Cursor { at, id, .. }) = page.after {
            sql.and("(c.created_at, c.id) < (?, ?)", [Value::Integer(at), Value::Integer(id)]);
        }
        sql.push(&format!(" ORDER BY c.created_at DESC, c.id DESC LIMIT {}", page.limit + 1), []);
        Ok(sql.query(self.conn, overview_from_row)?)
    }

    async fn company_overview(&mut self, id: CompanyId) -> StoreResult<Option<CompanyOverview>> {
        let sql = format!("SELECT {COMPANY_COLUMNS}, {COMPANY_COUNTS} FROM companies c WHERE c.id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], overview_from_row).optional()?)
    }

    async fn update_company(
        &mut self,
        id: CompanyId,
        name: Option<(&str, &str)>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let (name, key) = name.unzip();
        self.conn
            .prepare_cached(
                "UPDATE companies SET name = coalesce(?2, name), name_key = coalesce(?3, name_key),
                     active = coalesce(?4, active), updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, name, key, active, at])?;
        Ok(())
    }

    async fn company_users(&mut self, company: CompanyId) -> StoreResult<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN
               (SELECT user_id FROM company_memberships WHERE company_id = ?1) ORDER BY name, id"
        );
        Ok(self.conn.prepare_cached(&sql)?.query_map([company], user_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn update_user(
        &mut self,
        id: UserId,
        name: Option<&str>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE users SET name = coalesce(?2, name), active = coalesce(?3, active),
                     token_version = token_version + (?3 IS 0 AND active = 1), updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, name, active, at])?;
        Ok(())
    }

    async fn clear_memberships(&mut self, user: UserId) -> StoreResult<()> {
        self.conn.prepare_cached("DELETE FROM company_memberships WHERE user_id = ?1")?.execute([user])?;
        Ok(())
    }

    async fn update_admin(
        &mut self,
        id: AdminId,
        name: Option<&str>,
        role: Option<AdminRole>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE platform_admins SET name = coalesce(?2, name), role = coalesce(?3, role),
                     active = coalesce(?4, active), token_version = token_version + (?4 IS 0 AND active = 1),
                     updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![id, name, role, active, at])?;
        Ok(())
    }

    async fn active_owner_count(&mut self) -> StoreResult<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM platform_admins WHERE role = 'platform_owner' AND active = 1")?
            .query_row([], |r| r.get(0))?)
    }

    async fn bump_token_version(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<i64> {
        let sql = format!(
            "UPDATE {} SET token_version = token_version + 1, updated_at = ?2 WHERE id = ?1 RETURNING token_version",
            table(kind)
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row((id, at), |r| r.get(0))?)
    }

    async fn set_password_hash_of(
        &mut self,
        kind: AccountKind,
        id: i64,
        hash: &str,
        at: Timestamp,
    ) -> StoreResult<i64> {
        let sql = format!(
            "UPDATE {} SET password_hash = ?2, token_version = token_version + 1, updated_at = ?3 WHERE id = ?1
             RETURNING token_version",
            table(kind)
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row((id, hash, at), |r| r.get(0))?)
    }

    async fn credentials_of(&mut self, kind: AccountKind, id: i64) -> StoreResult<Option<Credentials>> {
        let sql = format!("SELECT id, password_hash, active FROM {} WHERE id = ?1", table(kind));
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], |r| Ok(Credentials { id: r.get(0)?, password_hash: r.get(1)?, active: r.get(2)? }))
            .optional()?)
    }

    async fn insert_invitation(&mut self, i: &InvitationInsert<'_>) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO invitations(account_kind, account_id, token_hash, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute((i.kind.as_str(), i.account_id, i.token_hash, i.at, i.expires))?;
        Ok(())
    }

    async fn revoke_invitations(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE invitations SET used_at = ?3 WHERE account_kind = ?1 AND account_id = ?2 AND used_at IS NULL",
            )?
            .execute((kind.as_str(), id, at))?;
        Ok(())
    }

    async fn invitation_by_hash(&mut self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, account_kind, account_id, expires_at, used_at FROM invitations WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(InvitationRecord {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    account_id: r.get(2)?,
                    expires: r.get(3)?,
                    used: r.get(4)?,
                })
            })
            .optional()?)
    }

    async fn use_invitation(&mut self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.conn.prepare_cached("UPDATE invitations SET used_at = ?2 WHERE id = ?1")?.execute((id, at))?;
        Ok(())
    }

    async fn revoke_token(&mut self, jti: &str, expires: Timestamp, now: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO revoked_tokens(jti, expires_at) VALUES (?1, ?2)")?
            .execute((jti, expires))?;
        self.conn.prepare_cached("DELETE FROM revoked_tokens WHERE expires_at < ?1")?.execute([now])?;
        Ok(())
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

    async fn user_session(
        &mut self,
        id: UserId,
        jti: Option<&str>,
    ) -> StoreResult<Option<(UserRecord, Vec<Membership>, bool)>> {
        let mut stmt = self.conn.prepare_cached(USER_SESSION_SQL)?;
        let mut rows = stmt.query(params![id, jti])?;
        let mut found: Option<(UserRecord, Vec<Membership>, bool)> = None;
        while let Some(r) = rows.next()? {
            let entry = match &mut found {
                Some(entry) => entry,
                None => found.insert((user_from_row(r)?, Vec::new(), r.get(10)?)),
            };
            if let Some(company) = r.get::<_, Option<CompanyId>>(6)? {
                entry.1.push(Membership {
                    company: Named { id: company, name: r.get(7)? },
                    role: r.get(8)?,
                    active: r.get(9)?,
                });
            }
        }
        if let Some((_, companies, _)) = &mut found {
            companies.sort_by(|a, b| a.company.name.cmp(&b.company.name).then(a.company.id.cmp(&b.company.id)));
        }
        Ok(found)
    }

    async fn memberships(&mut self, user: UserId) -> StoreResult<Vec<Membership>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.name, m.role, c.active FROM company_memberships m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = ?1 ORDER BY c.name, c.id",
        )?;
        let rows = stmt.query_map([user], membership_from_row)?;
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

    async fn admin_session(&mut self, id: AdminId, jti: Option<&str>) -> StoreResult<Option<(AdminRecord, bool)>> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS}, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2) FROM platform_admins WHERE id = ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params![id, jti], |r| Ok((admin_from_row(r)?, r.get(7)?))).optional()?)
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
