//! Companies, tenant users and their memberships, platform admins.
//! Emails compare case-insensitively (`lower(email)`, which the unique
//! indexes are on).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{
    PgTx,
    query::{Sql, p},
};
use crate::{
    domain::{AccountKind, AdminId, AdminRole, CompanyId, Cursor, PageRequest, Timestamp, UserId},
    store::sql::{COMPANY_COLUMNS, COMPANY_COUNTS, account_table as table, like_escape},
    store::{
        AccountRecord, AccountTx, AdminRecord, CompanyOverview, CompanyRecord, Credentials, InvitationInsert,
        InvitationRecord, Membership, Named, StoreResult, UserRecord,
    },
};

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.active, u.token_version, u.created_at";
pub(super) const ADMIN_COLUMNS: &str = "a.id, a.email, a.name, a.role, a.active, a.token_version, a.created_at";

fn company_from_row(r: &Row) -> StoreResult<CompanyRecord> {
    Ok(CompanyRecord { id: r.try_get(0)?, name: r.try_get(1)?, active: r.try_get(2)?, created: r.try_get(3)? })
}

fn overview_from_row(r: &Row) -> StoreResult<CompanyOverview> {
    Ok(CompanyOverview { company: company_from_row(r)?, managers: r.try_get(4)?, open_tickets: r.try_get(5)? })
}

fn user_from_row(r: &Row) -> StoreResult<UserRecord> {
    Ok(AccountRecord {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        active: r.try_get(3)?,
        token_version: r.try_get(4)?,
        created: r.try_get(5)?,
    })
}

pub(super) fn admin_from_row(r: &Row) -> StoreResult<AdminRecord> {
    Ok(AdminRecord {
        role: r.try_get(3)?,
        account: AccountRecord {
            id: r.try_get(0)?,
            email: r.try_get(1)?,
            name: r.try_get(2)?,
            active: r.try_get(4)?,
            token_version: r.try_get(5)?,
            created: r.try_get(6)?,
        },
    })
}

fn credentials_from_row(r: &Row) -> StoreResult<Credentials> {
    Ok(Credentials { id: r.try_get(0)?, password_hash: r.try_get(1)?, active: r.try_get(2)? })
}

impl PgTx<'_> {
    async fn companies_where(
        &self,
        condition: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        counts: bool,
    ) -> StoreResult<Vec<Row>> {
        let extra = if counts { format!(", {COMPANY_COUNTS}") } else { String::new() };
        self.rows(&format!("SELECT {COMPANY_COLUMNS}{extra} FROM companies c {condition}"), params).await
    }
}

#[async_trait]
impl AccountTx for PgTx<'_> {
    async fn insert_company(&mut self, name: &str, name_key: &str, at: Timestamp) -> StoreResult<CompanyId> {
        let row = self
            .one(
                "INSERT INTO companies(name, name_key, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
                &[&name, &name_key, &at],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn company_by_name_key(&mut self, name_key: &str) -> StoreResult<Option<CompanyId>> {
        let row = self.opt("SELECT id FROM companies WHERE name_key = $1", &[&name_key]).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn companies(&mut self) -> StoreResult<Vec<CompanyRecord>> {
        self.companies_where("ORDER BY c.name, c.id", &[], false).await?.iter().map(company_from_row).collect()
    }

    async fn company_exists(&mut self, id: CompanyId) -> StoreResult<bool> {
        Ok(self.opt("SELECT 1 FROM companies WHERE id = $1", &[&id]).await?.is_some())
    }

    async fn company(&mut self, id: CompanyId) -> StoreResult<Option<CompanyRecord>> {
        self.companies_where("WHERE c.id = $1", &[&id], false).await?.first().map(company_from_row).transpose()
    }

    async fn company_page(&mut self, search: Option<&str>, page: &PageRequest) -> StoreResult<Vec<CompanyOverview>> {
        let mut sql = Sql::new(&format!("SELECT {COMPANY_COLUMNS}, {COMPANY_COUNTS} FROM companies c WHERE TRUE"));
        if let Some(words) = search {
            // The name contains the words as typed (case-insensitively, as
            // `name_key` is folded); `%` and `_` match themselves.
            let pattern = format!("%{}%", like_escape(&words.trim().to_lowercase()));
            sql.and("c.name_key LIKE ? ESCAPE '\\'", [p(pattern)]);
        }
        if let Some(Cursor { at, id, .. }) = page.after {
            sql.and("(c.created_at, c.id) < (?, ?)", [p(at), p(id)]);
        }
        sql.push(&format!(" ORDER BY c.created_at DESC, c.id DESC LIMIT {}", page.limit + 1), []);
        self.built(&sql).await?.iter().map(overview_from_row).collect()
    }

    async fn company_overview(&mut self, id: CompanyId) -> StoreResult<Option<CompanyOverview>> {
        self.companies_where("WHERE c.id = $1", &[&id], true).await?.first().map(overview_from_row).transpose()
    }

    async fn update_company(
        &mut self,
        id: CompanyId,
        name: Option<(&str, &str)>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let (name, key) = name.unzip();
        self.exec(
            "UPDATE companies SET name = coalesce($2, name), name_key = coalesce($3, name_key),
                 active = coalesce($4, active), updated_at = $5 WHERE id = $1",
            &[&id, &name, &key, &active, &at],
        )
        .await?;
        Ok(())
    }

    async fn company_users(&mut self, company: CompanyId) -> StoreResult<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id IN
               (SELECT user_id FROM company_memberships WHERE company_id = $1) ORDER BY u.name, u.id"
        );
        self.rows(&sql, &[&company]).await?.iter().map(user_from_row).collect()
    }

    async fn update_user(
        &mut self,
        id: UserId,
        name: Option<&str>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.exec(
            "UPDATE users SET name = coalesce($2, name), active = coalesce($3, active),
                 token_version = token_version + CASE WHEN $3 = false AND active THEN 1 ELSE 0 END,
                 updated_at = $4 WHERE id = $1",
            &[&id, &name, &active, &at],
        )
        .await?;
        Ok(())
    }

    async fn clear_memberships(&mut self, user: UserId) -> StoreResult<()> {
        self.exec("DELETE FROM company_memberships WHERE user_id = $1", &[&user]).await?;
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
        self.exec(
            "UPDATE platform_admins SET name = coalesce($2, name), role = coalesce($3, role),
                 active = coalesce($4, active),
                 token_version = token_version + CASE WHEN $4 = false AND active THEN 1 ELSE 0 END,
                 updated_at = $5 WHERE id = $1",
            &[&id, &name, &role, &active, &at],
        )
        .await?;
        Ok(())
    }

    async fn active_owner_count(&mut self) -> StoreResult<i64> {
        let row =
            self.one("SELECT count(*) FROM platform_admins WHERE role = 'platform_owner' AND active", &[]).await?;
        Ok(row.try_get(0)?)
    }

    async fn bump_token_version(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<i64> {
        let sql = format!(
            "UPDATE {} SET token_version = token_version + 1, updated_at = $2 WHERE id = $1 RETURNING token_version",
            table(kind)
        );
        Ok(self.one(&sql, &[&id, &at]).await?.try_get(0)?)
    }

    async fn set_password_hash_of(
        &mut self,
        kind: AccountKind,
        id: i64,
        hash: &str,
        at: Timestamp,
    ) -> StoreResult<i64> {
        let sql = format!(
            "UPDATE {} SET password_hash = $2, token_version = token_version + 1, updated_at = $3 WHERE id = $1
             RETURNING token_version",
            table(kind)
        );
        Ok(self.one(&sql, &[&id, &hash, &at]).await?.try_get(0)?)
    }

    async fn credentials_of(&mut self, kind: AccountKind, id: i64) -> StoreResult<Option<Credentials>> {
        let sql = format!("SELECT id, password_hash, active FROM {} WHERE id = $1", table(kind));
        self.opt(&sql, &[&id]).await?.as_ref().map(credentials_from_row).transpose()
    }

    async fn insert_invitation(&mut self, i: &InvitationInsert<'_>) -> StoreResult<()> {
        self.exec(
            "INSERT INTO invitations(account_kind, account_id, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&i.kind, &i.account_id, &i.token_hash, &i.at, &i.expires],
        )
        .await?;
        Ok(())
    }

    async fn revoke_invitations(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<()> {
        self.exec(
            "UPDATE invitations SET used_at = $3 WHERE account_kind = $1 AND account_id = $2 AND used_at IS NULL",
            &[&kind, &id, &at],
        )
        .await?;
        Ok(())
    }

    async fn invitation_by_hash(&mut self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        // Locked: two uses of one link at once cannot both succeed.
        let sql = format!(
            "SELECT id, account_kind, account_id, expires_at, used_at FROM invitations WHERE token_hash = $1{}",
            self.lock(" FOR UPDATE")
        );
        let row = self.opt(&sql, &[&token_hash]).await?;
        row.map(|r| {
            Ok(InvitationRecord {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                account_id: r.try_get(2)?,
                expires: r.try_get(3)?,
                used: r.try_get(4)?,
            })
        })
        .transpose()
    }

    async fn use_invitation(&mut self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.exec("UPDATE invitations SET used_at = $2 WHERE id = $1", &[&id, &at]).await?;
        Ok(())
    }

    async fn revoke_token(&mut self, jti: &str, expires: Timestamp, now: Timestamp) -> StoreResult<()> {
        self.exec(
            "INSERT INTO revoked_tokens(jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
            &[&jti, &expires],
        )
        .await?;
        self.exec("DELETE FROM revoked_tokens WHERE expires_at < $1", &[&now]).await?;
        Ok(())
    }

    async fn email_taken(&mut self, kind: AccountKind, email: &str) -> StoreResult<bool> {
        let sql = format!("SELECT 1 FROM {} WHERE lower(email) = lower($1)", table(kind));
        Ok(self.opt(&sql, &[&email]).await?.is_some())
    }

    async fn insert_user(
        &mut self,
        email: &str,
        name: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<UserId> {
        let row = self
            .one(
                "INSERT INTO users(email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
                 RETURNING id",
                &[&email, &name, &password_hash, &at],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn add_membership(&mut self, company: CompanyId, user: UserId, at: Timestamp) -> StoreResult<()> {
        self.exec(
            "INSERT INTO company_memberships(company_id, user_id, role, created_at) VALUES ($1, $2, 'manager', $3)
             ON CONFLICT DO NOTHING",
            &[&company, &user, &at],
        )
        .await?;
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
        let row = self
            .one(
                "INSERT INTO platform_admins(email, name, role, password_hash, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                &[&email, &name, &role, &password_hash, &at],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn credentials(&mut self, kind: AccountKind, email: &str) -> StoreResult<Option<Credentials>> {
        let sql = format!("SELECT id, password_hash, active FROM {} WHERE lower(email) = lower($1)", table(kind));
        self.opt(&sql, &[&email]).await?.as_ref().map(credentials_from_row).transpose()
    }

    async fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        self.opt(&sql, &[&id]).await?.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE lower(u.email) = lower($1)");
        self.opt(&sql, &[&email]).await?.as_ref().map(user_from_row).transpose()
    }

    async fn user_session(
        &mut self,
        id: UserId,
        jti: Option<&str>,
    ) -> StoreResult<Option<(UserRecord, Vec<Membership>, bool)>> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {USER_COLUMNS}, c.id, c.name, m.role, c.active,
                            EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) FROM users u
                     LEFT JOIN company_memberships m ON m.user_id = u.id
                     LEFT JOIN companies c ON c.id = m.company_id WHERE u.id = $1 ORDER BY c.name, c.id"
                ),
                &[&id, &jti],
            )
            .await?;
        let mut found: Option<(UserRecord, Vec<Membership>, bool)> = None;
        for r in &rows {
            let entry = match &mut found {
                Some(entry) => entry,
                None => found.insert((user_from_row(r)?, Vec::new(), r.try_get(10)?)),
            };
            if let Some(company) = r.try_get::<_, Option<CompanyId>>(6)? {
                entry.1.push(Membership {
                    company: Named { id: company, name: r.try_get(7)? },
                    role: r.try_get(8)?,
                    active: r.try_get(9)?,
                });
            }
        }
        Ok(found)
    }

    async fn memberships(&mut self, user: UserId) -> StoreResult<Vec<Membership>> {
        let rows = self
            .rows(
                "SELECT c.id, c.name, m.role, c.active FROM company_memberships m JOIN companies c ON c.id = m.company_id
                 WHERE m.user_id = $1 ORDER BY c.name, c.id",
                &[&user],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    company: Named { id: r.try_get(0)?, name: r.try_get(1)? },
                    role: r.try_get(2)?,
                    active: r.try_get(3)?,
                })
            })
            .collect()
    }

    async fn users(&mut self) -> StoreResult<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id");
        self.rows(&sql, &[]).await?.iter().map(user_from_row).collect()
    }

    async fn admin(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins a WHERE a.id = $1");
        self.opt(&sql, &[&id]).await?.as_ref().map(admin_from_row).transpose()
    }

    async fn admin_session(&mut self, id: AdminId, jti: Option<&str>) -> StoreResult<Option<(AdminRecord, bool)>> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS}, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2)
             FROM platform_admins a WHERE a.id = $1"
        );
        let row = self.opt(&sql, &[&id, &jti]).await?;
        row.map(|r| Ok((admin_from_row(&r)?, r.try_get(7)?))).transpose()
    }

    async fn admin_for_change(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>> {
        // Locked until the transaction ends: an admin being disabled on
        // another connection waits for this change (an assignment, a
        // coverage replace), or this one waits for it and sees the result.
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins a WHERE a.id = $1{}", self.lock(" FOR UPDATE"));
        self.opt(&sql, &[&id]).await?.as_ref().map(admin_from_row).transpose()
    }

    async fn admin_by_email(&mut self, email: &str) -> StoreResult<Option<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins a WHERE lower(a.email) = lower($1)");
        self.opt(&sql, &[&email]).await?.as_ref().map(admin_from_row).transpose()
    }

    async fn admins(&mut self) -> StoreResult<Vec<AdminRecord>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM platform_admins a ORDER BY a.id");
        self.rows(&sql, &[]).await?.iter().map(admin_from_row).collect()
    }

    async fn account_count(&mut self) -> StoreResult<i64> {
        let row = self.one("SELECT (SELECT count(*) FROM platform_admins) + (SELECT count(*) FROM users)", &[]).await?;
        Ok(row.try_get(0)?)
    }

    async fn has_owner(&mut self) -> StoreResult<bool> {
        Ok(self.opt("SELECT 1 FROM platform_admins WHERE role = 'platform_owner' LIMIT 1", &[]).await?.is_some())
    }
}
