//! Who may do what, in one place and in pure terms.
//!
//! THE visibility rule, [`Scope`], says which tickets a caller sees:
//! - a tenant manager sees the tickets of the company named by the request;
//! - a platform owner or admin sees every ticket;
//! - a platform support agent sees a ticket when its subject is in the
//!   agent's coverage or the ticket is assigned to the agent.
//!
//! Every read path (lists, detail, search, polling) and every write that
//! loads a ticket first takes a `Scope`; each storage backend renders it as
//! its own SQL, and a ticket outside it is simply not found. [`Scope::allows`]
//! is the same rule over one ticket's facts, which the backends' tests hold
//! their SQL against.
//!
//! Its second promise is [`Audience`]: tenants never see internal notes.
//! Nothing a tenant can observe (the thread, the list's order and fields,
//! counts, search, `updated_at`, `last_activity_at`, ETags) changes when one
//! is added; the backends keep a tenant's view of each ticket apart from the
//! team's, and pick it by the scope's audience.
//!
//! The other permissions (who may call an endpoint at all, who reads whose
//! coverage, what a support agent sees of the team) are [`Guard`]s and
//! small functions here, used by the extractors, the handlers and the
//! OpenAPI document alike.

use crate::domain::{AccountKind, AdminId, AdminRole, CompanyId, UserId};

/// The set of tickets a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A manager acting for this company.
    Company(CompanyId),
    /// A platform owner or admin.
    All,
    /// A platform support agent.
    Support(AdminId),
}

/// Who sees which messages: tenants see everything but internal notes; the
/// platform team sees everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Tenant,
    Staff,
}

impl Audience {
    /// Whether this audience sees a message that is (or is not) internal.
    pub fn sees(self, internal: bool) -> bool {
        self == Audience::Staff || !internal
    }
}

/// A person whose read marks and own messages make what is new for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reader {
    User(UserId),
    Admin(AdminId),
}

impl Reader {
    pub fn kind(self) -> AccountKind {
        match self {
            Reader::User(_) => AccountKind::User,
            Reader::Admin(_) => AccountKind::Admin,
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Reader::User(id) => id.get(),
            Reader::Admin(id) => id.get(),
        }
    }
}

/// Someone looking at tickets: which tickets they see, and who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub scope: Scope,
    pub reader: Reader,
}

impl Viewer {
    pub fn audience(&self) -> Audience {
        self.scope.audience()
    }
}

/// The facts about one ticket that the rule looks at.
#[derive(Debug, Clone)]
pub struct TicketFacts<'a> {
    pub company_id: CompanyId,
    pub subject: &'a str,
    pub assigned_admin_id: Option<AdminId>,
}

impl Scope {
    /// The scope of a platform admin of this role.
    pub fn of_admin(id: AdminId, role: AdminRole) -> Scope {
        if role.has_full_access() { Scope::All } else { Scope::Support(id) }
    }

    /// Which messages the scope's people see: a company's managers are
    /// tenants; owners, admins and support agents are the platform team.
    pub fn audience(&self) -> Audience {
        match self {
            Scope::Company(_) => Audience::Tenant,
            Scope::All | Scope::Support(_) => Audience::Staff,
        }
    }

    /// The rule over one ticket, given the support agent's coverage.
    pub fn allows(&self, ticket: &TicketFacts<'_>, coverage: &[String]) -> bool {
        match *self {
            Scope::Company(company) => ticket.company_id == company,
            Scope::All => true,
            Scope::Support(admin) => {
                ticket.assigned_admin_id == Some(admin) || coverage.iter().any(|s| s == ticket.subject)
            }
        }
    }
}

/// Who may call an endpoint at all. Each handler's extractor enforces one;
/// the OpenAPI document names it as the operation's security requirement and
/// derives the 401 and 403 answers from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No token needed.
    Public,
    /// Any signed-in manager.
    Manager,
    /// A manager acting for one of their companies (`X-Company-Id`).
    ManagerOfCompany,
    /// Any member of the platform team.
    Staff,
    /// A platform owner or admin.
    FullStaff,
}

impl Guard {
    pub const ALL: [Guard; 5] =
        [Guard::Public, Guard::Manager, Guard::ManagerOfCompany, Guard::Staff, Guard::FullStaff];

    /// The OpenAPI security requirement that stands for this guard: the
    /// token's scheme and the role it must have (OpenAPI 3.1 lets a bearer
    /// requirement name roles).
    pub fn security(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Guard::Public => None,
            Guard::Manager => Some(("tenant_token", &[])),
            Guard::ManagerOfCompany => Some(("tenant_token", &["company_member"])),
            Guard::Staff => Some(("admin_token", &[])),
            Guard::FullStaff => Some(("admin_token", &["owner_or_admin"])),
        }
    }

    /// The guard an OpenAPI security requirement stands for.
    pub fn from_security(scheme: &str, roles: &[&str]) -> Option<Guard> {
        Guard::ALL.into_iter().find(|g| g.security().is_some_and(|(s, r)| s == scheme && r == roles))
    }

    /// The 403 answers the guard itself gives.
    pub fn forbidden(self) -> Option<&'static str> {
        match self {
            Guard::ManagerOfCompany => Some("You are not a member of the company named by X-Company-Id"),
            Guard::FullStaff => Some("Your role may not do this"),
            Guard::Public | Guard::Manager | Guard::Staff => None,
        }
    }
}

/// Whether a member of the team may read `of`'s coverage: owners and admins
/// anyone's, a support agent only their own.
pub fn may_read_coverage(viewer: AdminId, role: AdminRole, of: AdminId) -> bool {
    role.has_full_access() || viewer == of
}

/// How much of the team a member sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamView {
    /// Every member with email, active flag and coverage.
    Full,
    /// The active members' names and roles, and the viewer's own coverage.
    NamesAndRoles,
}

pub fn team_view(role: AdminRole) -> TeamView {
    if role.has_full_access() { TeamView::Full } else { TeamView::NamesAndRoles }
}

/// Who makes an account change: the command line (the server's operator,
/// who may do anything) or a member of the team with their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    Cli,
    Admin(AdminId, AdminRole),
}

impl Acting {
    pub fn actor(self) -> crate::domain::Actor {
        match self {
            Acting::Cli => crate::domain::Actor::Cli,
            Acting::Admin(id, _) => crate::domain::Actor::Admin(id),
        }
    }

    /// Only an owner (or the operator) may create, promote, demote, disable,
    /// rename or re-invite an owner: owners cannot be overruled by admins.
    pub fn may_manage_owners(self) -> bool {
        match self {
            Acting::Cli => true,
            Acting::Admin(_, role) => role == AdminRole::PlatformOwner,
        }
    }
}
