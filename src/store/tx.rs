//! The storage primitives a backend implements: small reads and writes, one
//! table family per trait, all inside the transaction the use case runs in.
//! No rule lives here: whether a tenant may post, what a system note says,
//! what an audit row holds is decided in `crate::service`.

use async_trait::async_trait;

use super::{
    AdminRecord, AuditRecord, CompanyOverview, CompanyRecord, Credentials, InvitationInsert, InvitationRecord,
    MessageInsert, MessageRecord, OutboxCounts, OutboxInsert, OutboxRecord, StoreResult, TicketCounts, TicketFacts,
    TicketInsert, TicketRecord, TicketState, TicketSummary, TicketVersion, UserRecord,
};
use crate::{
    access::{Audience, Reader, Scope, Viewer},
    domain::{
        AccountKind, AdminId, AdminRole, AuditEntry, AuditFilter, AuditMeta, CompanyId, MessageId, PageRequest,
        TicketFilter, TicketId, Timestamp, UserId,
    },
    store::Membership,
};

/// One transaction of a backend, with every primitive.
pub trait Tx: TicketTx + AccountTx + CoverageTx + AuditTx + MailTx + Send {}

impl<T: TicketTx + AccountTx + CoverageTx + AuditTx + MailTx + Send> Tx for T {}

/// The mail outbox and each person's notification choices.
#[async_trait]
pub trait MailTx: Send {
    /// Active support agents whose coverage includes `subject` and who have
    /// not turned `what` off.
    async fn covering_agents(&mut self, subject: &str, what: &str) -> StoreResult<Vec<AdminRecord>>;

    /// What deciding who hears of a ticket's event needs, in one lookup.
    async fn ticket_facts(&mut self, id: TicketId) -> StoreResult<Option<TicketFacts>>;

    /// Active owners and admins who turned `what` on.
    async fn staff_opted_in(&mut self, what: &str) -> StoreResult<Vec<AdminRecord>>;

    /// A person's stored choices (kinds left out are at their default).
    async fn notification_settings(&mut self, kind: AccountKind, id: i64) -> StoreResult<Vec<(String, bool)>>;

    async fn set_notification_setting(&mut self, kind: AccountKind, id: i64, what: &str, on: bool) -> StoreResult<()>;

    /// The pending email to this person about this ticket that has not been
    /// tried yet and is not due before `now`: later events join it.
    async fn open_outbox(
        &mut self,
        kind: AccountKind,
        id: i64,
        ticket: TicketId,
        now: Timestamp,
    ) -> StoreResult<Option<(i64, String)>>;

    async fn insert_outbox(&mut self, row: &OutboxInsert<'_>) -> StoreResult<i64>;

    async fn set_outbox_payload(&mut self, id: i64, payload: &str) -> StoreResult<()>;

    /// Up to `limit` pending emails due by `now` (by ticket, not by age: the
    /// first due ones found, so a backlog costs no sort).
    async fn due_outbox(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxRecord>>;

    /// Done with an email (`sent`, `dead` or `skipped`): its payload is emptied.
    async fn finish_outbox(&mut self, id: i64, state: &str, error: Option<&str>, at: Timestamp) -> StoreResult<()>;

    /// Emails the server accepted, in one statement.
    async fn sent_outbox(&mut self, ids: &[i64], at: Timestamp) -> StoreResult<()>;

    /// A failed attempt: counted, and tried again at `due`.
    async fn retry_outbox(&mut self, id: i64, error: &str, due: Timestamp) -> StoreResult<()>;

    async fn outbox_counts(&mut self) -> StoreResult<OutboxCounts>;
}

#[async_trait]
pub trait TicketTx: Send {
    /// The time to stamp this transaction's writes with.
    async fn now(&mut self) -> StoreResult<Timestamp>;

    /// That the database answers.
    async fn ping(&mut self) -> StoreResult<()>;

    /// Up to `page.limit + 1` tickets the viewer sees, in the page's order
    /// of activity, each as the viewer's audience sees it.
    async fn ticket_page(
        &mut self,
        viewer: &Viewer,
        filter: &TicketFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<TicketRecord>>;

    /// What the viewer's lists with this filter (its status aside) hold:
    /// per status, and of the open tickets the unread ones, those waiting on
    /// an agent, `me`'s and the unassigned.
    async fn ticket_counts(
        &mut self,
        viewer: &Viewer,
        filter: &TicketFilter,
        me: Option<AdminId>,
    ) -> StoreResult<TicketCounts>;

    /// One ticket, if the viewer sees it.
    async fn ticket(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketRecord>>;

    /// A ticket's version as the viewer sees it, if they see it (indexed
    /// lookups, no thread).
    async fn ticket_version(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketVersion>>;

    /// A ticket's thread as the audience sees it, oldest first.
    async fn thread(&mut self, id: TicketId, audience: Audience) -> StoreResult<Vec<MessageRecord>>;

    /// The ticket a change is about to modify, if the scope sees it; a
    /// backend with several writers locks it until the transaction ends.
    async fn ticket_for_change(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketState>>;

    async fn insert_ticket(&mut self, ticket: &TicketInsert<'_>) -> StoreResult<TicketId>;

    async fn insert_message(&mut self, message: &MessageInsert<'_>) -> StoreResult<MessageId>;

    /// Writes a ticket's whole summary back (status, assignee, who it waits
    /// on, both audiences' newest message and preview, the times).
    async fn update_ticket(&mut self, id: TicketId, summary: &TicketSummary) -> StoreResult<()>;

    /// The reader's mark on a ticket: the newest message they have seen.
    async fn read_mark(&mut self, reader: Reader, ticket: TicketId) -> StoreResult<Option<MessageId>>;

    /// Moves the reader's mark on to `message`; a mark never moves back.
    async fn set_read_mark(&mut self, reader: Reader, ticket: TicketId, message: MessageId) -> StoreResult<()>;

    /// Whether `message` is in the ticket's thread as the audience sees it.
    async fn message_in_thread(
        &mut self,
        ticket: TicketId,
        message: MessageId,
        audience: Audience,
    ) -> StoreResult<bool>;

    /// How many open tickets (not solved or closed) each admin has assigned,
    /// for the admins who have any.
    async fn open_tickets_by_assignee(&mut self) -> StoreResult<Vec<(AdminId, i64)>>;

    /// Moves a ticket and its thread back in time (the demo's history).
    async fn backdate_ticket(&mut self, id: TicketId, by_micros: i64) -> StoreResult<()>;
}

#[async_trait]
pub trait AccountTx: Send {
    /// A new company; `name_key` is its name folded for uniqueness.
    async fn insert_company(&mut self, name: &str, name_key: &str, at: Timestamp) -> StoreResult<CompanyId>;

    /// The company whose folded name is `name_key`, if any.
    async fn company_by_name_key(&mut self, name_key: &str) -> StoreResult<Option<CompanyId>>;

    async fn companies(&mut self) -> StoreResult<Vec<CompanyRecord>>;

    async fn company_exists(&mut self, id: CompanyId) -> StoreResult<bool>;

    async fn company(&mut self, id: CompanyId) -> StoreResult<Option<CompanyRecord>>;

    /// Up to `page.limit + 1` companies, newest first, whose name contains
    /// `search` (case-insensitively), with their managers and open tickets.
    async fn company_page(&mut self, search: Option<&str>, page: &PageRequest) -> StoreResult<Vec<CompanyOverview>>;

    /// One company with its counts.
    async fn company_overview(&mut self, id: CompanyId) -> StoreResult<Option<CompanyOverview>>;

    /// Renames a company and/or suspends or reactivates it.
    async fn update_company(
        &mut self,
        id: CompanyId,
        name: Option<(&str, &str)>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// The accounts of a company's managers (active or not), by name.
    async fn company_users(&mut self, company: CompanyId) -> StoreResult<Vec<UserRecord>>;

    /// Renames and/or enables or disables a user; disabling moves the token
    /// version on.
    async fn update_user(
        &mut self,
        id: UserId,
        name: Option<&str>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// Takes a user out of every company.
    async fn clear_memberships(&mut self, user: UserId) -> StoreResult<()>;

    /// Renames, changes the role of and/or enables or disables an admin;
    /// disabling moves the token version on.
    async fn update_admin(
        &mut self,
        id: AdminId,
        name: Option<&str>,
        role: Option<AdminRole>,
        active: Option<bool>,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// How many active owners there are.
    async fn active_owner_count(&mut self) -> StoreResult<i64>;

    /// Moves an account's token version on (every token issued before stops
    /// working); answers the new version.
    async fn bump_token_version(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<i64>;

    /// Replaces an account's password hash by id; answers the new token version.
    async fn set_password_hash_of(&mut self, kind: AccountKind, id: i64, hash: &str, at: Timestamp)
    -> StoreResult<i64>;

    /// An account's stored hash and state, by id.
    async fn credentials_of(&mut self, kind: AccountKind, id: i64) -> StoreResult<Option<Credentials>>;

    async fn insert_invitation(&mut self, invitation: &InvitationInsert<'_>) -> StoreResult<()>;

    /// Marks every unused invitation of the account used (they stop working).
    async fn revoke_invitations(&mut self, kind: AccountKind, id: i64, at: Timestamp) -> StoreResult<()>;

    async fn invitation_by_hash(&mut self, token_hash: &str) -> StoreResult<Option<InvitationRecord>>;

    async fn use_invitation(&mut self, id: i64, at: Timestamp) -> StoreResult<()>;

    /// Keeps a token's id as revoked until it would have expired, and forgets
    /// the ones that have.
    async fn revoke_token(&mut self, jti: &str, expires: Timestamp, now: Timestamp) -> StoreResult<()>;

    /// Whether an account of this kind has this email (case-insensitively).
    async fn email_taken(&mut self, kind: AccountKind, email: &str) -> StoreResult<bool>;

    async fn insert_user(&mut self, email: &str, name: &str, password_hash: &str, at: Timestamp)
    -> StoreResult<UserId>;

    async fn add_membership(&mut self, company: CompanyId, user: UserId, at: Timestamp) -> StoreResult<()>;

    async fn insert_admin(
        &mut self,
        email: &str,
        name: &str,
        role: AdminRole,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<AdminId>;

    /// The sign-in lookup by email (case-insensitive).
    async fn credentials(&mut self, kind: AccountKind, email: &str) -> StoreResult<Option<Credentials>>;

    async fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>>;

    async fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRecord>>;

    /// The account check of a tenant request, in one statement: the user,
    /// their companies, and whether the token's id (`jti`, when it has one)
    /// was revoked.
    async fn user_session(
        &mut self,
        id: UserId,
        jti: Option<&str>,
    ) -> StoreResult<Option<(UserRecord, Vec<Membership>, bool)>>;

    /// A user and their companies.
    async fn user_with_memberships(&mut self, id: UserId) -> StoreResult<Option<(UserRecord, Vec<Membership>)>> {
        Ok(self.user_session(id, None).await?.map(|(user, companies, _)| (user, companies)))
    }

    async fn memberships(&mut self, user: UserId) -> StoreResult<Vec<Membership>>;

    async fn users(&mut self) -> StoreResult<Vec<UserRecord>>;

    async fn admin(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>>;

    /// The account check of a platform request, in one statement: the admin
    /// and whether the token's id (`jti`, when it has one) was revoked.
    async fn admin_session(&mut self, id: AdminId, jti: Option<&str>) -> StoreResult<Option<(AdminRecord, bool)>>;

    /// An admin about to be named in a change (an assignee, a coverage
    /// owner); a backend with several writers locks the row.
    async fn admin_for_change(&mut self, id: AdminId) -> StoreResult<Option<AdminRecord>>;

    async fn admin_by_email(&mut self, email: &str) -> StoreResult<Option<AdminRecord>>;

    async fn admins(&mut self) -> StoreResult<Vec<AdminRecord>>;

    /// How many accounts of both kinds there are.
    async fn account_count(&mut self) -> StoreResult<i64>;

    /// Whether there is a platform owner yet.
    async fn has_owner(&mut self) -> StoreResult<bool>;
}

#[async_trait]
pub trait CoverageTx: Send {
    /// An agent's subjects, sorted by their bytes.
    async fn coverage(&mut self, admin: AdminId) -> StoreResult<Vec<String>>;

    /// Replaces an agent's whole subject set.
    async fn replace_coverage(&mut self, admin: AdminId, subjects: &[String], at: Timestamp) -> StoreResult<()>;
}

#[async_trait]
pub trait AuditTx: Send {
    async fn append_audit(&mut self, entry: &AuditEntry, meta: &AuditMeta, at: Timestamp) -> StoreResult<()>;

    /// Up to `page.limit + 1` rows, newest first.
    async fn audit_page(&mut self, filter: &AuditFilter, page: &PageRequest) -> StoreResult<Vec<AuditRecord>>;
}
