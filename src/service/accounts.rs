//! Accounts: companies, managers and the platform team; invitations, sign-in,
//! passwords and signing out; the account check every request makes. Each
//! change and its audit row commit together, with the command line or the
//! acting account as the actor, and never a password, hash or token in the
//! row. The owner rules: only an owner (or the command line) touches an
//! owner, the last active owner stays an active owner, and nobody disables
//! themselves.

use serde_json::{Value, json};

use super::notify::{self, MailPolicy};

use crate::{
    access::Acting,
    domain::{
        AccountKind, Actor, AdminId, AdminRole, AuditAction, AuditEntry, AuditMeta, CompanyId, Email, FieldError, Name,
        Page, PageRequest, Timestamp, UserId,
    },
    store::{
        AdminRecord, CompanyOverview, CompanyRecord, Credentials, InvitationInsert, Manager, Membership, Store,
        StoreError, StoreResult, Tx, UserRecord,
    },
};

/// How a new account gets its password: a hash chosen on the command line,
/// or a one-time link (only the token's hash is stored).
#[derive(Debug, Clone)]
pub enum Credential {
    Password(String),
    Invitation(NewInvitation),
}

/// A one-time link to write: the hash of its token and when it expires,
/// and the link itself, which is stored only in its email while mail waits
/// to be sent (never when mail is off).
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub expires: Timestamp,
    pub url: String,
}

/// A manager to create, with the companies they manage.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: Name,
    pub credential: Credential,
    pub companies: Vec<CompanyId>,
}

/// A member of the platform team to create.
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub email: Email,
    pub name: Name,
    pub role: AdminRole,
    pub credential: Credential,
}

/// What a company change sets (unset fields stay).
#[derive(Debug, Clone, Default)]
pub struct CompanyChanges {
    pub name: Option<Name>,
    pub active: Option<bool>,
}

/// What a manager change sets.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<Name>,
    pub active: Option<bool>,
    pub companies: Option<Vec<CompanyId>>,
}

/// What a team member change sets.
#[derive(Debug, Clone, Default)]
pub struct AdminChanges {
    pub name: Option<Name>,
    pub role: Option<AdminRole>,
    pub active: Option<bool>,
}

/// Whom an invitation is for.
#[derive(Debug, Clone)]
pub struct Invitee {
    pub kind: AccountKind,
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// An account as a token would name it: its id, whether it is active, and
/// its token version.
#[derive(Debug, Clone, Copy)]
pub struct TokenSubject {
    pub id: i64,
    pub active: bool,
    pub token_version: i64,
}

/// A company's name folded for uniqueness: trimmed (by [`Name`]) and
/// lower-cased, so "Acme" and " acme " are the same company.
pub fn name_key(name: &Name) -> String {
    name.as_str().to_lowercase()
}

fn email_taken(kind: AccountKind, email: &Email) -> StoreError {
    let noun = match kind {
        AccountKind::User => "a user",
        AccountKind::Admin => "an admin",
    };
    StoreError::conflict("email_taken", format!("{noun} with email {} already exists", email.as_str()))
}

fn name_taken(name: &Name) -> StoreError {
    StoreError::conflict("name_taken", format!("a company named {} already exists", name.as_str()))
}

fn owners_only() -> StoreError {
    StoreError::forbidden("owner_only", "only a platform owner may create, change or disable an owner")
}

/// `{"user_id": 7}` or `{"admin_id": 7}`.
fn account_key(kind: AccountKind, id: i64) -> Value {
    let key = match kind {
        AccountKind::User => "user_id",
        AccountKind::Admin => "admin_id",
    };
    json!({ key: id })
}

/// The changed fields before and after, for an audit row.
fn changes(fields: &[(&str, Value, Value)]) -> Value {
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    for (field, old, new) in fields {
        if old != new {
            before.insert((*field).to_string(), old.clone());
            after.insert((*field).to_string(), new.clone());
        }
    }
    json!({"before": before, "after": after})
}

impl Store {
    /// The sign-in lookup: the account's hash and state, by email.
    pub async fn credentials(&self, kind: AccountKind, email: String) -> StoreResult<Option<Credentials>> {
        self.lookup((kind, email), |tx, (kind, email)| tx.credentials(*kind, email)).await
    }

    /// An account's hash and state by id (to check a current password).
    pub async fn credentials_of(&self, kind: AccountKind, id: i64) -> StoreResult<Option<Credentials>> {
        self.lookup((kind, id), |tx, (kind, id)| tx.credentials_of(*kind, *id)).await
    }

    /// Puts a sign-in on the record.
    pub async fn record_login(&self, actor: Actor, meta: AuditMeta) -> StoreResult<()> {
        self.write((actor, meta), |tx, (actor, meta)| Box::pin(record(tx, AuditAction::AuthLogin, *actor, meta))).await
    }

    /// The account check of a tenant request: the user and their companies,
    /// and whether the token (by its id) was signed out.
    pub async fn tenant_account(
        &self,
        id: UserId,
        jti: String,
    ) -> StoreResult<Option<(UserRecord, Vec<Membership>, bool)>> {
        self.lookup((id, jti), |tx, (id, jti)| Box::pin(tenant_account(tx, *id, jti))).await
    }

    /// The account check of a platform request.
    pub async fn staff_account(&self, id: AdminId, jti: String) -> StoreResult<Option<(AdminRecord, bool)>> {
        self.lookup((id, jti), |tx, (id, jti)| Box::pin(staff_account(tx, *id, jti))).await
    }

    /// An account found by email, as a token for it would be issued.
    pub async fn token_subject(&self, kind: AccountKind, email: String) -> StoreResult<Option<TokenSubject>> {
        self.read((kind, email), |tx, (kind, email)| Box::pin(token_subject(tx, *kind, email))).await
    }

    /// A new company; a name that is taken (case-insensitively) is 409.
    pub async fn create_company(&self, name: Name, actor: Actor, meta: AuditMeta) -> StoreResult<CompanyId> {
        self.write((name, actor, meta), |tx, (name, actor, meta)| Box::pin(create_company(tx, name, *actor, meta)))
            .await
    }

    /// Renames a company and/or suspends or reactivates it.
    pub async fn update_company(
        &self,
        id: CompanyId,
        change: CompanyChanges,
        actor: Actor,
        meta: AuditMeta,
    ) -> StoreResult<CompanyOverview> {
        self.write((id, change, actor, meta), |tx, (id, change, actor, meta)| {
            Box::pin(update_company(tx, *id, change, *actor, meta))
        })
        .await
    }

    /// Companies, newest first, whose name contains `search`.
    pub async fn company_list(&self, search: Option<String>, page: PageRequest) -> StoreResult<Page<CompanyOverview>> {
        self.read((search, page), |tx, (search, page)| Box::pin(company_list(tx, search.as_deref(), page))).await
    }

    pub async fn company_overview(&self, id: CompanyId) -> StoreResult<CompanyOverview> {
        self.read(id, |tx, id| Box::pin(company_overview(tx, *id))).await
    }

    /// A company's managers (active or not); 404 without the company.
    pub async fn company_managers(&self, id: CompanyId) -> StoreResult<Vec<Manager>> {
        self.read(id, |tx, id| Box::pin(company_managers(tx, *id))).await
    }

    /// Creates a manager of one or more existing companies.
    pub async fn create_user(&self, user: NewUser, by: Acting, meta: AuditMeta) -> StoreResult<UserId> {
        self.write((user, by, meta, self.mail()), |tx, (user, by, meta, mail)| {
            Box::pin(create_user(tx, user, *by, meta, mail.as_ref()))
        })
        .await
    }

    /// Renames, enables or disables a manager, or replaces their companies.
    pub async fn update_user(
        &self,
        id: UserId,
        change: UserChanges,
        by: Acting,
        meta: AuditMeta,
    ) -> StoreResult<Manager> {
        self.write((id, change, by, meta), |tx, (id, change, by, meta)| {
            Box::pin(update_user(tx, *id, change, *by, meta))
        })
        .await
    }

    pub async fn create_admin(&self, admin: NewAdmin, by: Acting, meta: AuditMeta) -> StoreResult<AdminId> {
        self.write((admin, by, meta, self.mail()), |tx, (admin, by, meta, mail)| {
            Box::pin(create_admin(tx, admin, *by, meta, mail.as_ref()))
        })
        .await
    }

    /// Renames a member of the team, changes their role, or enables or
    /// disables them, under the owner rules.
    pub async fn update_admin(
        &self,
        id: AdminId,
        change: AdminChanges,
        by: Acting,
        meta: AuditMeta,
    ) -> StoreResult<AdminRecord> {
        self.write((id, change, by, meta), |tx, (id, change, by, meta)| {
            Box::pin(update_admin(tx, *id, change, *by, meta))
        })
        .await
    }

    /// A new one-time link for an account: the old link stops working and so
    /// do the account's tokens.
    pub async fn reinvite(
        &self,
        kind: AccountKind,
        id: i64,
        invitation: NewInvitation,
        by: Acting,
        meta: AuditMeta,
    ) -> StoreResult<Invitee> {
        self.write((kind, id, invitation, by, meta, self.mail()), |tx, (kind, id, invitation, by, meta, mail)| {
            Box::pin(reinvite(tx, *kind, *id, invitation, *by, meta, mail.as_ref()))
        })
        .await
    }

    /// Whom a link is for, while it can still be used; unknown, used and
    /// expired links are all `NotFound`.
    pub async fn invitee(&self, token_hash: String) -> StoreResult<Invitee> {
        self.read(token_hash, |tx, hash| Box::pin(invitee(tx, hash))).await
    }

    /// Uses a link: sets the account's password and consumes the link, once.
    /// Answers the account and its new token version.
    pub async fn accept_invitation(
        &self,
        token_hash: String,
        password_hash: String,
        meta: AuditMeta,
    ) -> StoreResult<(Invitee, i64)> {
        self.write((token_hash, password_hash, meta), |tx, (token, hash, meta)| {
            Box::pin(accept_invitation(tx, token, hash, meta))
        })
        .await
    }

    /// A password set for someone on the command line; their tokens stop working.
    pub async fn set_password(
        &self,
        kind: AccountKind,
        id: i64,
        password_hash: String,
        meta: AuditMeta,
    ) -> StoreResult<i64> {
        self.write((kind, id, password_hash, meta), |tx, (kind, id, hash, meta)| {
            Box::pin(set_password(tx, *kind, *id, hash, meta))
        })
        .await
    }

    /// A person's own new password; every token issued before stops working.
    /// Answers the new token version (for the session that asked).
    pub async fn change_password(
        &self,
        kind: AccountKind,
        id: i64,
        password_hash: String,
        meta: AuditMeta,
    ) -> StoreResult<i64> {
        self.write((kind, id, password_hash, meta), |tx, (kind, id, hash, meta)| {
            Box::pin(change_password(tx, *kind, *id, hash, meta))
        })
        .await
    }

    /// Signs one token out: it is refused from now until it would have expired.
    pub async fn sign_out(
        &self,
        kind: AccountKind,
        id: i64,
        jti: String,
        expires: Timestamp,
        meta: AuditMeta,
    ) -> StoreResult<()> {
        self.write((kind, id, jti, expires, meta), |tx, (kind, id, jti, expires, meta)| {
            Box::pin(sign_out(tx, *kind, *id, jti, *expires, meta))
        })
        .await
    }

    /// Signs every token of the account out, this one included.
    pub async fn sign_out_everywhere(&self, kind: AccountKind, id: i64, meta: AuditMeta) -> StoreResult<()> {
        self.write((kind, id, meta), |tx, (kind, id, meta)| Box::pin(sign_out_everywhere(tx, *kind, *id, meta))).await
    }

    /// Every manager with their companies, oldest first.
    pub async fn users_with_memberships(&self) -> StoreResult<Vec<(UserRecord, Vec<Membership>)>> {
        self.read((), |tx, ()| Box::pin(users_with_memberships(tx))).await
    }

    pub async fn admins(&self) -> StoreResult<Vec<AdminRecord>> {
        self.read((), |tx, ()| tx.admins()).await
    }

    /// Whether the database holds no account and no company (the demo seeds only then).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        self.read((), |tx, ()| Box::pin(is_empty(tx))).await
    }

    /// Whether there is no platform owner yet (first start).
    pub async fn has_no_owner(&self) -> StoreResult<bool> {
        self.read((), |tx, ()| Box::pin(has_no_owner(tx))).await
    }

    /// One manager and their companies (after sign-in).
    pub async fn user_with_companies(&self, id: UserId) -> StoreResult<(UserRecord, Vec<Membership>)> {
        self.read(id, |tx, id| Box::pin(user_with_companies(tx, *id))).await
    }

    /// One member of the team (after sign-in).
    pub async fn staff_member(&self, id: AdminId) -> StoreResult<AdminRecord> {
        self.read(id, |tx, id| Box::pin(staff_member(tx, *id))).await
    }

    /// A manager by email (for the command line).
    pub async fn user_by_email(&self, email: String) -> StoreResult<UserRecord> {
        self.read(email, |tx, email| Box::pin(user_by_email(tx, email))).await
    }

    /// A member of the team by email (for the command line).
    pub async fn admin_by_email(&self, email: String) -> StoreResult<AdminRecord> {
        self.read(email, |tx, email| Box::pin(admin_by_email(tx, email))).await
    }
}

async fn record(tx: &mut dyn Tx, action: AuditAction, actor: Actor, meta: &AuditMeta) -> StoreResult<()> {
    let now = tx.now().await?;
    tx.append_audit(&AuditEntry::new(action, actor), meta, now).await
}

async fn tenant_account(
    tx: &mut dyn Tx,
    id: UserId,
    jti: &str,
) -> StoreResult<Option<(UserRecord, Vec<Membership>, bool)>> {
    tx.user_session(id, token_id(jti)).await
}

async fn staff_account(tx: &mut dyn Tx, id: AdminId, jti: &str) -> StoreResult<Option<(AdminRecord, bool)>> {
    tx.admin_session(id, token_id(jti)).await
}

/// A token's id, if it has one: a token without an id was never revoked.
fn token_id(jti: &str) -> Option<&str> {
    (!jti.is_empty()).then_some(jti)
}

async fn is_empty(tx: &mut dyn Tx) -> StoreResult<bool> {
    Ok(tx.account_count().await? == 0 && tx.companies().await?.is_empty())
}

async fn has_no_owner(tx: &mut dyn Tx) -> StoreResult<bool> {
    Ok(!tx.has_owner().await?)
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

async fn user_with_companies(tx: &mut dyn Tx, id: UserId) -> StoreResult<(UserRecord, Vec<Membership>)> {
    tx.user_with_memberships(id).await?.ok_or(StoreError::NotFound)
}

async fn staff_member(tx: &mut dyn Tx, id: AdminId) -> StoreResult<AdminRecord> {
    tx.admin(id).await?.ok_or(StoreError::NotFound)
}

async fn user_by_email(tx: &mut dyn Tx, email: &str) -> StoreResult<UserRecord> {
    tx.user_by_email(email).await?.ok_or(StoreError::NotFound)
}

async fn admin_by_email(tx: &mut dyn Tx, email: &str) -> StoreResult<AdminRecord> {
    tx.admin_by_email(email).await?.ok_or(StoreError::NotFound)
}

async fn create_company(tx: &mut dyn Tx, name: &Name, actor: Actor, meta: &AuditMeta) -> StoreResult<CompanyId> {
    let key = name_key(name);
    if tx.company_by_name_key(&key).await?.is_some() {
        return Err(name_taken(name));
    }
    let now = tx.now().await?;
    let id = tx.insert_company(name.as_str(), &key, now).await?;
    let entry = AuditEntry::new(AuditAction::CompanyCreate, actor).company(id).detail(json!({"name": name.as_str()}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(id)
}

async fn company_record(tx: &mut dyn Tx, id: CompanyId) -> StoreResult<CompanyRecord> {
    tx.company(id).await?.ok_or(StoreError::NotFound)
}

async fn company_overview(tx: &mut dyn Tx, id: CompanyId) -> StoreResult<CompanyOverview> {
    tx.company_overview(id).await?.ok_or(StoreError::NotFound)
}

async fn update_company(
    tx: &mut dyn Tx,
    id: CompanyId,
    change: &CompanyChanges,
    actor: Actor,
    meta: &AuditMeta,
) -> StoreResult<CompanyOverview> {
    let before = company_record(tx, id).await?;
    let rename = change.name.as_ref().filter(|n| n.as_str() != before.name);
    if let Some(name) = rename {
        let key = name_key(name);
        if tx.company_by_name_key(&key).await?.is_some_and(|other| other != id) {
            return Err(name_taken(name));
        }
    }
    let active = change.active.filter(|a| *a != before.active);
    if rename.is_none() && active.is_none() {
        return company_overview(tx, id).await;
    }
    let now = tx.now().await?;
    let key = rename.map(name_key);
    tx.update_company(id, rename.map(|n| n.as_str()).zip(key.as_deref()), active, now).await?;
    let after = company_record(tx, id).await?;
    let detail = changes(&[
        ("name", json!(before.name), json!(after.name)),
        ("active", json!(before.active), json!(after.active)),
    ]);
    let entry = AuditEntry::new(AuditAction::CompanyUpdate, actor).company(id).detail(detail);
    tx.append_audit(&entry, meta, now).await?;
    company_overview(tx, id).await
}

async fn company_list(tx: &mut dyn Tx, search: Option<&str>, page: &PageRequest) -> StoreResult<Page<CompanyOverview>> {
    let rows = tx.company_page(search, page).await?;
    Ok(Page::from_rows(rows, page, |c| (c.company.created.micros(), c.company.id.get())))
}

async fn company_managers(tx: &mut dyn Tx, id: CompanyId) -> StoreResult<Vec<Manager>> {
    company_record(tx, id).await?;
    managers_of(tx, id).await
}

/// A company's managers (active or not), by name, each with all their
/// companies.
pub(crate) async fn managers_of(tx: &mut dyn Tx, company: CompanyId) -> StoreResult<Vec<Manager>> {
    let users = tx.company_users(company).await?;
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let companies = tx.memberships(user.id).await?;
        out.push(Manager { user, companies });
    }
    Ok(out)
}

/// Every company exists; the set is not empty and names no company twice.
async fn check_companies(tx: &mut dyn Tx, companies: &[CompanyId]) -> StoreResult<Vec<CompanyId>> {
    let field = "company_ids";
    if companies.is_empty() {
        return Err(StoreError::invalid(FieldError::new(
            field,
            "required",
            "a manager belongs to at least one company",
        )));
    }
    let mut set = companies.to_vec();
    set.sort();
    set.dedup();
    for &company in &set {
        if !tx.company_exists(company).await? {
            return Err(StoreError::invalid(FieldError::new(
                field,
                "unknown_company",
                format!("company {company} does not exist"),
            )));
        }
    }
    Ok(set)
}

/// An account's stored password for a new account: the chosen hash, or one
/// nothing can match until a link sets a real one.
fn initial_hash(credential: &Credential) -> String {
    match credential {
        Credential::Password(hash) => hash.clone(),
        Credential::Invitation(_) => "!invited".to_string(),
    }
}

/// Whom a link is for and whether to email it.
struct Invited<'a> {
    kind: AccountKind,
    id: i64,
    email: &'a str,
    name: &'a str,
    mail: Option<&'a MailPolicy>,
}

async fn invite(
    tx: &mut dyn Tx,
    to: Invited<'_>,
    invitation: &NewInvitation,
    actor: Actor,
    meta: &AuditMeta,
    now: Timestamp,
) -> StoreResult<()> {
    let Invited { kind, id, .. } = to;
    if to.mail.is_some() {
        let payload = notify::InvitationPayload {
            name: to.name.to_string(),
            url: invitation.url.clone(),
            expires_at: invitation.expires.to_rfc3339(),
            for_kind: kind.as_str().to_string(),
        };
        notify::invitation(tx, kind, id, to.email, &payload).await?;
    }
    tx.revoke_invitations(kind, id, now).await?;
    let insert = InvitationInsert {
        kind,
        account_id: id,
        token_hash: &invitation.token_hash,
        at: now,
        expires: invitation.expires,
    };
    tx.insert_invitation(&insert).await?;
    let mut detail = account_key(kind, id);
    detail["expires_at"] = json!(invitation.expires);
    tx.append_audit(&AuditEntry::new(AuditAction::AccountInvite, actor).detail(detail), meta, now).await
}

async fn create_user(
    tx: &mut dyn Tx,
    user: &NewUser,
    by: Acting,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<UserId> {
    if tx.email_taken(AccountKind::User, user.email.as_str()).await? {
        return Err(email_taken(AccountKind::User, &user.email));
    }
    let companies = check_companies(tx, &user.companies).await?;
    let now = tx.now().await?;
    let id = tx.insert_user(user.email.as_str(), user.name.as_str(), &initial_hash(&user.credential), now).await?;
    for &company in &companies {
        tx.add_membership(company, id, now).await?;
    }
    let entry = AuditEntry::new(AuditAction::UserCreate, by.actor()).detail(json!({
        "user_id": id, "email": user.email.as_str(), "name": user.name.as_str(), "companies": companies,
    }));
    tx.append_audit(&entry, meta, now).await?;
    if let Credential::Invitation(invitation) = &user.credential {
        let to = Invited {
            kind: AccountKind::User,
            id: id.get(),
            email: user.email.as_str(),
            name: user.name.as_str(),
            mail,
        };
        invite(tx, to, invitation, by.actor(), meta, now).await?;
    }
    Ok(id)
}

async fn manager(tx: &mut dyn Tx, id: UserId) -> StoreResult<Manager> {
    let (user, companies) = tx.user_with_memberships(id).await?.ok_or(StoreError::NotFound)?;
    Ok(Manager { user, companies })
}

fn company_ids(m: &Manager) -> Vec<CompanyId> {
    let mut ids: Vec<CompanyId> = m.companies.iter().map(|c| c.company.id).collect();
    ids.sort();
    ids
}

async fn update_user(
    tx: &mut dyn Tx,
    id: UserId,
    change: &UserChanges,
    by: Acting,
    meta: &AuditMeta,
) -> StoreResult<Manager> {
    let before = manager(tx, id).await?;
    let companies = match &change.companies {
        Some(set) => Some(check_companies(tx, set).await?).filter(|set| *set != company_ids(&before)),
        None => None,
    };
    let name = change.name.as_ref().map(|n| n.as_str()).filter(|n| *n != before.user.name);
    let active = change.active.filter(|a| *a != before.user.active);
    if name.is_none() && active.is_none() && companies.is_none() {
        return Ok(before);
    }
    let now = tx.now().await?;
    tx.update_user(id, name, active, now).await?;
    if let Some(set) = &companies {
        tx.clear_memberships(id).await?;
        for &company in set {
            tx.add_membership(company, id, now).await?;
        }
    }
    let after = manager(tx, id).await?;
    let mut detail = changes(&[
        ("name", json!(before.user.name), json!(after.user.name)),
        ("active", json!(before.user.active), json!(after.user.active)),
        ("companies", json!(company_ids(&before)), json!(company_ids(&after))),
    ]);
    detail["user_id"] = json!(id);
    tx.append_audit(&AuditEntry::new(AuditAction::UserUpdate, by.actor()).detail(detail), meta, now).await?;
    Ok(after)
}

async fn create_admin(
    tx: &mut dyn Tx,
    admin: &NewAdmin,
    by: Acting,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<AdminId> {
    if admin.role == AdminRole::PlatformOwner && !by.may_manage_owners() {
        return Err(owners_only());
    }
    if tx.email_taken(AccountKind::Admin, admin.email.as_str()).await? {
        return Err(email_taken(AccountKind::Admin, &admin.email));
    }
    let now = tx.now().await?;
    let hash = initial_hash(&admin.credential);
    let id = tx.insert_admin(admin.email.as_str(), admin.name.as_str(), admin.role, &hash, now).await?;
    let entry = AuditEntry::new(AuditAction::AdminCreate, by.actor()).detail(json!({
        "admin_id": id, "email": admin.email.as_str(), "name": admin.name.as_str(), "role": admin.role,
    }));
    tx.append_audit(&entry, meta, now).await?;
    if let Credential::Invitation(invitation) = &admin.credential {
        let to = Invited {
            kind: AccountKind::Admin,
            id: id.get(),
            email: admin.email.as_str(),
            name: admin.name.as_str(),
            mail,
        };
        invite(tx, to, invitation, by.actor(), meta, now).await?;
    }
    Ok(id)
}

async fn admin_record(tx: &mut dyn Tx, id: AdminId) -> StoreResult<AdminRecord> {
    tx.admin_for_change(id).await?.ok_or(StoreError::NotFound)
}

async fn update_admin(
    tx: &mut dyn Tx,
    id: AdminId,
    change: &AdminChanges,
    by: Acting,
    meta: &AuditMeta,
) -> StoreResult<AdminRecord> {
    let before = admin_record(tx, id).await?;
    let name = change.name.as_ref().map(|n| n.as_str()).filter(|n| *n != before.account.name);
    let role = change.role.filter(|r| *r != before.role);
    let active = change.active.filter(|a| *a != before.account.active);
    if name.is_none() && role.is_none() && active.is_none() {
        return Ok(before);
    }
    let owner = AdminRole::PlatformOwner;
    let touches_owner = before.role == owner || role == Some(owner);
    if touches_owner && !by.may_manage_owners() {
        return Err(owners_only());
    }
    if active == Some(false) && by == Acting::Admin(id, before.role) {
        return Err(StoreError::conflict("self_disable", "you cannot disable your own account"));
    }
    let stops_being_owner = before.role == owner && before.account.active && (role.is_some() || active == Some(false));
    if stops_being_owner && tx.active_owner_count().await? <= 1 {
        return Err(StoreError::conflict("last_owner", "the last active owner can be neither demoted nor disabled"));
    }
    let now = tx.now().await?;
    tx.update_admin(id, name, role, active, now).await?;
    let after = admin_record(tx, id).await?;
    let mut detail = changes(&[
        ("name", json!(before.account.name), json!(after.account.name)),
        ("role", json!(before.role), json!(after.role)),
        ("active", json!(before.account.active), json!(after.account.active)),
    ]);
    detail["admin_id"] = json!(id);
    tx.append_audit(&AuditEntry::new(AuditAction::AdminUpdate, by.actor()).detail(detail), meta, now).await?;
    Ok(after)
}

/// Whom an account is, as an invitation names it.
async fn invitee_of(tx: &mut dyn Tx, kind: AccountKind, id: i64) -> StoreResult<Option<(Invitee, AdminRole)>> {
    Ok(match kind {
        AccountKind::User => tx
            .user(UserId(id))
            .await?
            .map(|u| (Invitee { kind, id, email: u.email, name: u.name }, AdminRole::PlatformSupport)),
        AccountKind::Admin => tx
            .admin(AdminId(id))
            .await?
            .map(|a| (Invitee { kind, id, email: a.account.email, name: a.account.name }, a.role)),
    })
}

async fn reinvite(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    invitation: &NewInvitation,
    by: Acting,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<Invitee> {
    let (who, role) = invitee_of(tx, kind, id).await?.ok_or(StoreError::NotFound)?;
    if kind == AccountKind::Admin && role == AdminRole::PlatformOwner && !by.may_manage_owners() {
        return Err(owners_only());
    }
    let now = tx.now().await?;
    tx.bump_token_version(kind, id, now).await?;
    let to = Invited { kind, id, email: &who.email, name: &who.name, mail };
    invite(tx, to, invitation, by.actor(), meta, now).await?;
    Ok(who)
}

/// The invitation behind a token hash and whom it is for, if it can still be
/// used (not used, not expired, its account active).
async fn usable(tx: &mut dyn Tx, token_hash: &str) -> StoreResult<(i64, Invitee)> {
    let now = tx.now().await?;
    let invitation = tx.invitation_by_hash(token_hash).await?.ok_or(StoreError::NotFound)?;
    if invitation.used.is_some() || invitation.expires <= now {
        return Err(StoreError::NotFound);
    }
    let active = match invitation.kind {
        AccountKind::User => tx.user(UserId(invitation.account_id)).await?.map(|u| u.active),
        AccountKind::Admin => tx.admin(AdminId(invitation.account_id)).await?.map(|a| a.account.active),
    };
    if active != Some(true) {
        return Err(StoreError::NotFound);
    }
    let (who, _) = invitee_of(tx, invitation.kind, invitation.account_id).await?.ok_or(StoreError::NotFound)?;
    Ok((invitation.id, who))
}

async fn invitee(tx: &mut dyn Tx, token_hash: &str) -> StoreResult<Invitee> {
    Ok(usable(tx, token_hash).await?.1)
}

fn own_actor(kind: AccountKind, id: i64) -> Actor {
    match kind {
        AccountKind::User => Actor::User(UserId(id)),
        AccountKind::Admin => Actor::Admin(AdminId(id)),
    }
}

async fn accept_invitation(
    tx: &mut dyn Tx,
    token_hash: &str,
    password_hash: &str,
    meta: &AuditMeta,
) -> StoreResult<(Invitee, i64)> {
    let (invitation, who) = usable(tx, token_hash).await?;
    let now = tx.now().await?;
    tx.use_invitation(invitation, now).await?;
    let version = tx.set_password_hash_of(who.kind, who.id, password_hash, now).await?;
    let mut detail = account_key(who.kind, who.id);
    detail["via"] = json!("invitation");
    let entry = AuditEntry::new(AuditAction::AccountPasswordSet, own_actor(who.kind, who.id)).detail(detail);
    tx.append_audit(&entry, meta, now).await?;
    Ok((who, version))
}

async fn set_password(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    password_hash: &str,
    meta: &AuditMeta,
) -> StoreResult<i64> {
    invitee_of(tx, kind, id).await?.ok_or(StoreError::NotFound)?;
    let now = tx.now().await?;
    tx.revoke_invitations(kind, id, now).await?;
    let version = tx.set_password_hash_of(kind, id, password_hash, now).await?;
    let mut detail = account_key(kind, id);
    detail["via"] = json!("cli");
    tx.append_audit(&AuditEntry::new(AuditAction::AccountPasswordSet, Actor::Cli).detail(detail), meta, now).await?;
    Ok(version)
}

async fn change_password(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    password_hash: &str,
    meta: &AuditMeta,
) -> StoreResult<i64> {
    let now = tx.now().await?;
    let version = tx.set_password_hash_of(kind, id, password_hash, now).await?;
    let entry = AuditEntry::new(AuditAction::AccountPasswordChange, own_actor(kind, id)).detail(account_key(kind, id));
    tx.append_audit(&entry, meta, now).await?;
    Ok(version)
}

async fn sign_out(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    jti: &str,
    expires: Timestamp,
    meta: &AuditMeta,
) -> StoreResult<()> {
    let now = tx.now().await?;
    tx.revoke_token(jti, expires, now).await?;
    let entry = AuditEntry::new(AuditAction::AuthLogout, own_actor(kind, id)).detail(json!({"everywhere": false}));
    tx.append_audit(&entry, meta, now).await
}

async fn sign_out_everywhere(tx: &mut dyn Tx, kind: AccountKind, id: i64, meta: &AuditMeta) -> StoreResult<()> {
    let now = tx.now().await?;
    tx.bump_token_version(kind, id, now).await?;
    let entry = AuditEntry::new(AuditAction::AuthLogout, own_actor(kind, id)).detail(json!({"everywhere": true}));
    tx.append_audit(&entry, meta, now).await
}

async fn users_with_memberships(tx: &mut dyn Tx) -> StoreResult<Vec<(UserRecord, Vec<Membership>)>> {
    let mut out = Vec::new();
    for user in tx.users().await? {
        let companies = tx.memberships(user.id).await?;
        out.push((user, companies));
    }
    Ok(out)
}
