//! Accounts: companies, managers and the platform team; sign-in and the
//! account check every request makes. Each change is audited in its own
//! transaction, with the CLI or the acting account as the actor.

use serde_json::json;

use crate::{
    domain::{
        AccountKind, Actor, AdminId, AdminRole, AuditAction, AuditEntry, AuditMeta, CompanyId, Email, FieldError, Name,
        UserId,
    },
    store::{AdminRecord, Credentials, Membership, Store, StoreError, StoreResult, Tx, UserRecord},
};

/// A manager to create, with the companies they manage.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: Name,
    pub password_hash: String,
    pub companies: Vec<CompanyId>,
}

/// A member of the platform team to create.
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub email: Email,
    pub name: Name,
    pub role: AdminRole,
    pub password_hash: String,
}

/// An account as a token would name it: its id, whether it is active, and
/// its token version.
#[derive(Debug, Clone, Copy)]
pub struct TokenSubject {
    pub id: i64,
    pub active: bool,
    pub token_version: i64,
}

fn email_taken(kind: AccountKind, email: &Email) -> StoreError {
    let noun = match kind {
        AccountKind::User => "a user",
        AccountKind::Admin => "an admin",
    };
    StoreError::conflict("email_taken", format!("{noun} with email {} already exists", email.as_str()))
}

impl Store {
    /// The sign-in lookup: the account's hash and state, by email.
    pub async fn credentials(&self, kind: AccountKind, email: String) -> StoreResult<Option<Credentials>> {
        self.lookup((kind, email), |tx, (kind, email)| tx.credentials(*kind, email)).await
    }

    /// Puts a sign-in on the record.
    pub async fn record_login(&self, actor: Actor, meta: AuditMeta) -> StoreResult<()> {
        self.write((actor, meta), |tx, (actor, meta)| Box::pin(record_login(tx, *actor, meta))).await
    }

    /// The account check of a tenant request: the user and their companies.
    pub async fn tenant_account(&self, id: UserId) -> StoreResult<Option<(UserRecord, Vec<Membership>)>> {
        self.lookup(id, |tx, id| tx.user_with_memberships(*id)).await
    }

    /// The account check of a platform request.
    pub async fn staff_account(&self, id: AdminId) -> StoreResult<Option<AdminRecord>> {
        self.lookup(id, |tx, id| tx.admin(*id)).await
    }

    /// An account found by email, as a token for it would be issued.
    pub async fn token_subject(&self, kind: AccountKind, email: String) -> StoreResult<Option<TokenSubject>> {
        self.read((kind, email), |tx, (kind, email)| Box::pin(token_subject(tx, *kind, email))).await
    }

    pub async fn create_company(&self, name: Name, actor: Actor, meta: AuditMeta) -> StoreResult<CompanyId> {
        self.write((name, actor, meta), |tx, (name, actor, meta)| Box::pin(create_company(tx, name, *actor, meta)))
            .await
    }

    /// Creates a manager of one or more existing companies.
    pub async fn create_user(&self, user: NewUser, actor: Actor, meta: AuditMeta) -> StoreResult<UserId> {
        self.write((user, actor, meta), |tx, (user, actor, meta)| Box::pin(create_user(tx, user, *actor, meta))).await
    }

    pub async fn create_admin(&self, admin: NewAdmin, actor: Actor, meta: AuditMeta) -> StoreResult<AdminId> {
        self.write((admin, actor, meta), |tx, (admin, actor, meta)| Box::pin(create_admin(tx, admin, *actor, meta)))
            .await
    }

    /// Every manager with their companies, oldest first.
    pub async fn users_with_memberships(&self) -> StoreResult<Vec<(UserRecord, Vec<Membership>)>> {
        self.read((), |tx, ()| Box::pin(users_with_memberships(tx))).await
    }

    pub async fn admins(&self) -> StoreResult<Vec<AdminRecord>> {
        self.read((), |tx, ()| tx.admins()).await
    }

    /// Disables an account and revokes its tokens; `NotFound` without one.
    pub async fn disable_account(
        &self,
        kind: AccountKind,
        email: String,
        actor: Actor,
        meta: AuditMeta,
    ) -> StoreResult<i64> {
        self.write((kind, email, actor, meta), |tx, (kind, email, actor, meta)| {
            Box::pin(disable_account(tx, *kind, email, *actor, meta))
        })
        .await
    }

    /// Replaces an account's password hash and revokes its tokens.
    pub async fn set_password(
        &self,
        kind: AccountKind,
        email: String,
        password_hash: String,
        actor: Actor,
        meta: AuditMeta,
    ) -> StoreResult<i64> {
        self.write((kind, email, password_hash, actor, meta), |tx, (kind, email, hash, actor, meta)| {
            Box::pin(set_password(tx, *kind, email, hash, *actor, meta))
        })
        .await
    }

    /// Whether the database holds no account at all (the demo seeds only then).
    pub async fn has_no_accounts(&self) -> StoreResult<bool> {
        self.read((), |tx, ()| Box::pin(has_no_accounts(tx))).await
    }

    /// Whether there is no platform owner yet (first start).
    pub async fn has_no_owner(&self) -> StoreResult<bool> {
        self.read((), |tx, ()| Box::pin(has_no_owner(tx))).await
    }
}

async fn has_no_accounts(tx: &mut dyn Tx) -> StoreResult<bool> {
    Ok(tx.account_count().await? == 0)
}

async fn has_no_owner(tx: &mut dyn Tx) -> StoreResult<bool> {
    Ok(!tx.has_owner().await?)
}

async fn record_login(tx: &mut dyn Tx, actor: Actor, meta: &AuditMeta) -> StoreResult<()> {
    let now = tx.now().await?;
    tx.append_audit(&AuditEntry::new(AuditAction::AuthLogin, actor), meta, now).await
}

async fn token_subject(tx: &mut dyn Tx, kind: AccountKind, email: &str) -> StoreResult<Option<TokenSubject>> {
    Ok(match kind {
        AccountKind::User => tx.user_by_email(email).await?.map(|u| TokenSubject {
            id: u.id.get(),
            active: u.active,
            token_version: u.token_version,
        }),
        AccountKind::Admin => tx.admin_by_email(email).await?.map(|a| TokenSubject {
            id: a.account.id.get(),
            active: a.account.active,
            token_version: a.account.token_version,
        }),
    })
}

async fn create_company(tx: &mut dyn Tx, name: &Name, actor: Actor, meta: &AuditMeta) -> StoreResult<CompanyId> {
    let now = tx.now().await?;
    let id = tx.insert_company(name.as_str(), now).await?;
    let entry = AuditEntry::new(AuditAction::CompanyCreate, actor).company(id).detail(json!({"name": name.as_str()}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(id)
}

async fn create_user(tx: &mut dyn Tx, user: &NewUser, actor: Actor, meta: &AuditMeta) -> StoreResult<UserId> {
    if tx.email_taken(AccountKind::User, user.email.as_str()).await? {
        return Err(email_taken(AccountKind::User, &user.email));
    }
    if user.companies.is_empty() {
        return Err(StoreError::invalid(FieldError::new(
            "company",
            "required",
            "a user belongs to at least one company",
        )));
    }
    for &company in &user.companies {
        if !tx.company_exists(company).await? {
            return Err(StoreError::invalid(FieldError::new(
                "company",
                "unknown_company",
                format!("company {company} does not exist"),
            )));
        }
    }
    let now = tx.now().await?;
    let id = tx.insert_user(user.email.as_str(), user.name.as_str(), &user.password_hash, now).await?;
    for &company in &user.companies {
        tx.add_membership(company, id, now).await?;
    }
    let entry = AuditEntry::new(AuditAction::UserCreate, actor)
        .detail(json!({"user_id": id, "email": user.email.as_str(), "companies": user.companies}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(id)
}

async fn create_admin(tx: &mut dyn Tx, admin: &NewAdmin, actor: Actor, meta: &AuditMeta) -> StoreResult<AdminId> {
    if tx.email_taken(AccountKind::Admin, admin.email.as_str()).await? {
        return Err(email_taken(AccountKind::Admin, &admin.email));
    }
    let now = tx.now().await?;
    let id = tx.insert_admin(admin.email.as_str(), admin.name.as_str(), admin.role, &admin.password_hash, now).await?;
    let entry = AuditEntry::new(AuditAction::AdminCreate, actor)
        .detail(json!({"admin_id": id, "email": admin.email.as_str(), "role": admin.role}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(id)
}

async fn users_with_memberships(tx: &mut dyn Tx) -> StoreResult<Vec<(UserRecord, Vec<Membership>)>> {
    let mut out = Vec::new();
    for user in tx.users().await? {
        let companies = tx.memberships(user.id).await?;
        out.push((user, companies));
    }
    Ok(out)
}

/// The detail of an account change: which account, by its kind's id key.
fn account_detail(kind: AccountKind, id: i64) -> serde_json::Value {
    let key = match kind {
        AccountKind::User => "user_id",
        AccountKind::Admin => "admin_id",
    };
    json!({ key: id })
}

async fn disable_account(
    tx: &mut dyn Tx,
    kind: AccountKind,
    email: &str,
    actor: Actor,
    meta: &AuditMeta,
) -> StoreResult<i64> {
    let now = tx.now().await?;
    let id = tx.disable_account(kind, email, now).await?.ok_or(StoreError::NotFound)?;
    let action = match kind {
        AccountKind::User => AuditAction::UserDisable,
        AccountKind::Admin => AuditAction::AdminDisable,
    };
    tx.append_audit(&AuditEntry::new(action, actor).detail(account_detail(kind, id)), meta, now).await?;
    Ok(id)
}

async fn set_password(
    tx: &mut dyn Tx,
    kind: AccountKind,
    email: &str,
    password_hash: &str,
    actor: Actor,
    meta: &AuditMeta,
) -> StoreResult<i64> {
    let now = tx.now().await?;
    let id = tx.set_password_hash(kind, email, password_hash, now).await?.ok_or(StoreError::NotFound)?;
    let action = match kind {
        AccountKind::User => AuditAction::UserPasswordUpdate,
        AccountKind::Admin => AuditAction::AdminPasswordUpdate,
    };
    tx.append_audit(&AuditEntry::new(action, actor).detail(account_detail(kind, id)), meta, now).await?;
    Ok(id)
}

impl Store {
    /// One manager and their companies (after sign-in).
    pub async fn user_with_companies(&self, id: UserId) -> StoreResult<(UserRecord, Vec<Membership>)> {
        self.tenant_account(id).await?.ok_or(StoreError::NotFound)
    }

    /// One member of the team (after sign-in).
    pub async fn staff_member(&self, id: AdminId) -> StoreResult<AdminRecord> {
        self.staff_account(id).await?.ok_or(StoreError::NotFound)
    }
}
