//! SQL that both backends write the same way: the columns of each
//! audience's view of a ticket, of a ticket's summary, of a company with its
//! counts, and the account tables. (`false` is a literal on SQLite too.)

use crate::{access::Audience, domain::AccountKind};

/// The columns of one audience's view of a ticket, over the alias `t`.
pub(crate) struct ViewColumns {
    /// The last change this audience sees.
    pub updated: &'static str,
    /// The newest message this audience sees.
    pub newest: &'static str,
    /// The preview's text, time, sender and internal flag.
    pub last: &'static str,
}

const TENANT_VIEW: ViewColumns = ViewColumns {
    updated: "t.updated_at",
    newest: "t.public_message_id",
    last: "t.public_preview, t.public_preview_at, t.public_preview_sender, false",
};

const STAFF_VIEW: ViewColumns = ViewColumns {
    updated: "t.staff_updated_at",
    newest: "t.staff_message_id",
    last: "t.staff_preview, t.staff_preview_at, t.staff_preview_sender, t.staff_preview_internal",
};

/// Which of a ticket's two views an audience reads: tenants' (no internal
/// notes) or the team's (everything).
pub(crate) fn view(audience: Audience) -> &'static ViewColumns {
    match audience {
        Audience::Tenant => &TENANT_VIEW,
        Audience::Staff => &STAFF_VIEW,
    }
}

/// The columns of a ticket's summary (over `t`), after its id, company and
/// assignee's name: status, closed, assignee, who it waits on, last
/// activity, then each audience's newest message, preview (four columns)
/// and last change.
pub(crate) const SUMMARY_COLUMNS: &str = "t.status, t.closed_at, t.assigned_admin_id, t.waiting_on, \
     t.last_activity_at, t.public_message_id, t.public_preview, t.public_preview_at, t.public_preview_sender, false, \
     t.updated_at, t.staff_message_id, t.staff_preview, t.staff_preview_at, t.staff_preview_sender, \
     t.staff_preview_internal, t.staff_updated_at";

pub(crate) const COMPANY_COLUMNS: &str = "c.id, c.name, c.active, c.created_at";

/// A company's active managers and open tickets, after [`COMPANY_COLUMNS`].
pub(crate) const COMPANY_COUNTS: &str = "(SELECT count(*) FROM company_memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.company_id = c.id AND u.active), \
     (SELECT count(*) FROM tickets t WHERE t.company_id = c.id AND t.status NOT IN ('solved', 'closed'))";

/// The table of an account kind.
pub(crate) fn account_table(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "users",
        AccountKind::Admin => "platform_admins",
    }
}

/// `text` for a LIKE pattern (with `ESCAPE '\'`), its wildcards and the
/// escape taken literally.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
