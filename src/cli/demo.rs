//! Demo data: two companies, their managers (one of them manages both), an
//! owner, an admin, two support agents with different coverage, and a dozen
//! tickets in every status with realistic threads. Only an empty database is
//! seeded; the logins are printed.

use crate::{
    access::{Acting, Scope},
    app::AppState,
    domain::{
        AdminRole, AuditMeta, Author, Body, CompanyId, Email, FieldError, Name, NewTicket, Opener, Sender, Status,
        Subject,
    },
    service::{
        accounts::{Credential, NewAdmin, NewUser},
        tickets::Post,
    },
    store::Store,
};

/// The password of every demo account. Demo data is for trying the product
/// on one's own machine, never for a server others can reach.
pub const DEMO_PASSWORD: &str = "demo-password";

const HOUR: i64 = 3_600_000_000;

struct Script {
    company: usize,
    subject: &'static str,
    sub_subject: Option<&'static str>,
    description: &'static str,
    /// In order: `a` the assignee's replies, `n` their internal notes, `t`
    /// the manager's follow-ups.
    thread: &'static [(char, &'static str)],
    assignee: Option<usize>,
    status: Status,
    age_hours: i64,
}

const SCRIPTS: &[Script] = &[
    Script {
        company: 0,
        subject: "website",
        sub_subject: Some("contact"),
        description: "Contact form not sending. Customers say they press Send and nothing happens.",
        thread: &[],
        assignee: None,
        status: Status::New,
        age_hours: 1,
    },
    Script {
        company: 0,
        subject: "billing",
        sub_subject: Some("invoice"),
        description: "Our November invoice lists two seats we removed in October.",
        thread: &[
            ('a', "Thanks, I see the two seats. Checking when they were removed."),
            ('n', "Billing ran on the old seat count: the removal reached us on 13 October. Credit both seats."),
            ('t', "They were removed on 12 October, by Maria."),
        ],
        assignee: Some(3),
        status: Status::InProgress,
        age_hours: 20,
    },
    Script {
        company: 0,
        subject: "domain",
        sub_subject: Some("ssl"),
        description: "The browser warns that our certificate expires in 3 days.",
        thread: &[('a', "Renewal is queued; it should be live within the hour.")],
        assignee: Some(3),
        status: Status::Solved,
        age_hours: 70,
    },
    Script {
        company: 0,
        subject: "email",
        sub_subject: Some("delivery"),
        description: "Order confirmations land in spam for Gmail users.",
        thread: &[('a', "Could you forward one of the messages with full headers?")],
        assignee: Some(2),
        status: Status::WaitingOnTenant,
        age_hours: 30,
    },
    Script {
        company: 0,
        subject: "website",
        sub_subject: Some("performance"),
        description: "The menu page takes ten seconds to load on phones.",
        thread: &[('a', "Reproduced: the images are 6 MB each. Passing to engineering for automatic resizing.")],
        assignee: Some(2),
        status: Status::NeedsEngineering,
        age_hours: 50,
    },
    Script {
        company: 0,
        subject: "account",
        sub_subject: Some("users"),
        description: "Please add our new manager, Tom, to the account.",
        thread: &[('a', "Done: Tom has an invitation."), ('t', "Got it, thanks!")],
        assignee: None,
        status: Status::Closed,
        age_hours: 200,
    },
    Script {
        company: 1,
        subject: "website",
        sub_subject: Some("forms"),
        description: "The appointment form does not accept phone numbers with a plus sign.",
        thread: &[],
        assignee: None,
        status: Status::Triaged,
        age_hours: 5,
    },
    Script {
        company: 1,
        subject: "billing",
        sub_subject: Some("refund"),
        description: "We were charged twice for the annual plan.",
        thread: &[('a', "I can see both charges. The second one is being refunded now.")],
        assignee: Some(3),
        status: Status::Solved,
        age_hours: 90,
    },
    Script {
        company: 1,
        subject: "email",
        sub_subject: Some("mailbox"),
        description: "The shared mailbox info@ stopped receiving mail this morning.",
        thread: &[('t', "It is urgent: clients write to this address.")],
        assignee: None,
        status: Status::New,
        age_hours: 2,
    },
    Script {
        company: 1,
        subject: "domain",
        sub_subject: Some("dns"),
        description: "We want to point shop.northwind.example to our new store.",
        thread: &[('a', "Which address did the store give you for the CNAME?")],
        assignee: Some(2),
        status: Status::WaitingOnTenant,
        age_hours: 40,
    },
    Script {
        company: 1,
        subject: "account",
        sub_subject: Some("login"),
        description: "Two-factor codes arrive after they expire.",
        thread: &[('a', "The SMS provider is delayed; engineering is switching providers.")],
        assignee: Some(1),
        status: Status::NeedsEngineering,
        age_hours: 60,
    },
    Script {
        company: 1,
        subject: "other",
        sub_subject: Some("feedback"),
        description: "The new ticket page is much clearer, thank you.",
        thread: &[('a', "Thank you for telling us!")],
        assignee: None,
        status: Status::Closed,
        age_hours: 300,
    },
];

/// Seeds the demo into an empty database and answers true; a database with
/// any account or company is left alone (false).
pub async fn seed(state: &AppState) -> anyhow::Result<bool> {
    if !state.store.is_empty().await? {
        return Ok(false);
    }
    let hash = state.hasher.hash_async(DEMO_PASSWORD.to_string()).await?;
    // The demo's people are made up: their history sends no email.
    seed_rows(&state.store.clone().with_mail(None), &hash).await?;
    print_logins();
    Ok(true)
}

/// What `ticketing demo` says about a database that already has data.
pub const NOT_EMPTY: &str =
    "the database already has accounts or companies; demo data is only seeded into an empty database";

fn print_logins() {
    eprintln!(
        "\nDemo data is ready. Every account's password is {DEMO_PASSWORD}\n\
         \n  Managers (sign in at /login):\n\
         \x20   manager@acme.example        Acme Bakery\n\
         \x20   manager@northwind.example   Northwind Legal\n\
         \x20   consultant@example.com      both companies\n\
         \n  Platform team (sign in at /admin/login):\n\
         \x20   owner@example.com           platform_owner\n\
         \x20   admin@example.com           platform_admin\n\
         \x20   support@example.com         platform_support (website, email)\n\
         \x20   billing@example.com         platform_support (billing, account, domain)\n"
    );
}

/// Parses demo text, which is known to be valid.
fn valid<T>(parsed: Result<T, FieldError>) -> anyhow::Result<T> {
    parsed.map_err(|e| anyhow::anyhow!("demo data: {}: {}", e.field, e.message))
}

async fn seed_rows(store: &Store, hash: &str) -> anyhow::Result<()> {
    let meta = AuditMeta::default;
    let name = |s: &str| valid(Name::parse(s));
    let mut companies = Vec::new();
    for company in ["Acme Bakery", "Northwind Legal"] {
        companies.push(store.create_company(name(company)?, Acting::Cli.actor(), meta()).await?);
    }
    let user = |email: &str, display: &str, of: &[CompanyId]| -> anyhow::Result<NewUser> {
        Ok(NewUser {
            email: valid(Email::parse(email))?,
            name: name(display)?,
            credential: Credential::Password(hash.to_string()),
            companies: of.to_vec(),
        })
    };
    let mut managers = Vec::new();
    for (email, display, company) in [
        ("manager@acme.example", "Alice Baker", companies[0]),
        ("manager@northwind.example", "Nora West", companies[1]),
    ] {
        let id = store.create_user(user(email, display, &[company])?, Acting::Cli, meta()).await?;
        managers.push((id, display));
    }
    store.create_user(user("consultant@example.com", "Carl Consultant", &companies)?, Acting::Cli, meta()).await?;
    let mut admins = Vec::new();
    for (email, display, role) in [
        ("owner@example.com", "Olivia Owner", AdminRole::PlatformOwner),
        ("admin@example.com", "Adam Admin", AdminRole::PlatformAdmin),
        ("support@example.com", "Sam Support", AdminRole::PlatformSupport),
        ("billing@example.com", "Bea Billing", AdminRole::PlatformSupport),
    ] {
        let admin = NewAdmin {
            email: valid(Email::parse(email))?,
            name: name(display)?,
            role,
            credential: Credential::Password(hash.to_string()),
        };
        admins.push((store.create_admin(admin, Acting::Cli, meta()).await?, display));
    }
    let subjects = |names: &[&str]| names.iter().map(|s| valid(Subject::parse(s))).collect::<anyhow::Result<Vec<_>>>();
    let owner = admins[0].0;
    store.replace_coverage(owner, admins[2].0, subjects(&["website", "email"])?, meta()).await?;
    store.replace_coverage(owner, admins[3].0, subjects(&["billing", "account", "domain"])?, meta()).await?;

    for script in SCRIPTS {
        let company = companies[script.company];
        let (manager, manager_name) = managers[script.company];
        let input = NewTicket {
            subject: valid(Subject::parse(script.subject))?,
            sub_subject: script.sub_subject.map(Subject::parse).transpose().map_err(|e| anyhow::anyhow!(e.message))?,
            description: valid(Body::parse("description", script.description))?,
        };
        let opener = Opener {
            company_id: company,
            company_name: ["Acme Bakery", "Northwind Legal"][script.company].to_string(),
            user_id: manager,
            user_name: manager_name.to_string(),
        };
        let id = store.create_ticket(opener, input, meta()).await?.ticket.id;
        let (agent, agent_name) = admins[script.assignee.unwrap_or(1)];
        if let Some(index) = script.assignee {
            store.assign(owner, Scope::All, id, Some(admins[index].0), meta()).await?;
        }
        for (who, text) in script.thread {
            let body = valid(Body::parse("body", text))?;
            let (scope, author) = if *who == 't' {
                (Scope::Company(company), Author { sender: Sender::Tenant(manager), name: manager_name.to_string() })
            } else {
                (Scope::All, Author { sender: Sender::Agent(agent), name: agent_name.to_string() })
            };
            let post = Post { author, body, internal: *who == 'n', status: None };
            store.add_message(scope, id, post, meta()).await?;
        }
        if script.status != Status::New {
            store.set_status(agent, Scope::All, id, script.status, meta()).await?;
        }
        store.backdate_ticket(id, script.age_hours * HOUR).await?;
    }
    Ok(())
}
