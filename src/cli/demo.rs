//! Demo data: two companies, their managers (one of them manages both), an
//! owner, an admin, two support agents with different coverage, and a dozen
//! tickets in every status with realistic threads. Only an empty database is
//! seeded; the logins are printed.

use crate::{
    access::Scope,
    app::AppState,
    db::{
        DbResult,
        accounts::{self},
        audit::{Actor, AuditMeta},
        coverage,
        tickets::{self, NewTicket, Sender},
    },
    domain::{AdminRole, Body, Email, Name, Status, Subject},
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
    /// Agent (index into the admins) replies and tenant follow-ups, in order.
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

/// Seeds the demo into an empty database; a database with any account is left alone.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let empty = state
        .db
        .read(|conn| {
            let accounts: i64 = conn.query_row(
                "SELECT (SELECT count(*) FROM platform_admins) + (SELECT count(*) FROM users)",
                [],
                |r| r.get(0),
            )?;
            Ok(accounts == 0)
        })
        .await?;
    if !empty {
        eprintln!("the database already has accounts; demo data is only seeded into an empty database");
        return Ok(());
    }
    let hash = state.hasher.hash_async(DEMO_PASSWORD.to_string()).await?;
    state.db.write(move |conn| seed_rows(conn, &hash)).await?;
    print_logins();
    Ok(())
}

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

fn seed_rows(conn: &rusqlite::Connection, hash: &str) -> DbResult<()> {
    let meta = AuditMeta::default();
    let name = |s: &str| Name::parse(s).map_err(crate::db::DbError::invalid);
    let email = |s: &str| Email::parse(s).map_err(crate::db::DbError::invalid);
    let companies = [
        accounts::create_company(conn, &name("Acme Bakery")?, Actor::Cli, &meta)?,
        accounts::create_company(conn, &name("Northwind Legal")?, Actor::Cli, &meta)?,
    ];
    let managers = [
        accounts::create_user(
            conn,
            &email("manager@acme.example")?,
            &name("Alice Baker")?,
            hash,
            &[companies[0]],
            Actor::Cli,
            &meta,
        )?,
        accounts::create_user(
            conn,
            &email("manager@northwind.example")?,
            &name("Nora West")?,
            hash,
            &[companies[1]],
            Actor::Cli,
            &meta,
        )?,
    ];
    accounts::create_user(
        conn,
        &email("consultant@example.com")?,
        &name("Carl Consultant")?,
        hash,
        &companies,
        Actor::Cli,
        &meta,
    )?;
    let admins = [
        accounts::create_admin(
            conn,
            &email("owner@example.com")?,
            &name("Olivia Owner")?,
            AdminRole::PlatformOwner,
            hash,
            Actor::Cli,
            &meta,
        )?,
        accounts::create_admin(
            conn,
            &email("admin@example.com")?,
            &name("Adam Admin")?,
            AdminRole::PlatformAdmin,
            hash,
            Actor::Cli,
            &meta,
        )?,
        accounts::create_admin(
            conn,
            &email("support@example.com")?,
            &name("Sam Support")?,
            AdminRole::PlatformSupport,
            hash,
            Actor::Cli,
            &meta,
        )?,
        accounts::create_admin(
            conn,
            &email("billing@example.com")?,
            &name("Bea Billing")?,
            AdminRole::PlatformSupport,
            hash,
            Actor::Cli,
            &meta,
        )?,
    ];
    let subjects = |names: &[&str]| {
        names.iter().map(|s| Subject::parse(s)).collect::<Result<Vec<_>, _>>().map_err(crate::db::DbError::invalid)
    };
    coverage::replace(conn, admins[0], admins[2], &subjects(&["website", "email"])?, &meta)?;
    coverage::replace(conn, admins[0], admins[3], &subjects(&["billing", "account", "domain"])?, &meta)?;

    for script in SCRIPTS {
        let company = companies[script.company];
        let manager = managers[script.company];
        let input = NewTicket {
            subject: Subject::parse(script.subject).map_err(crate::db::DbError::invalid)?,
            sub_subject: script.sub_subject.map(Subject::parse).transpose().map_err(crate::db::DbError::invalid)?,
            description: Body::parse("description", script.description).map_err(crate::db::DbError::invalid)?,
        };
        let opener = tickets::Opener::load(conn, company, manager)?;
        let id = tickets::create(conn, &opener, &input, &meta)?.ticket.id;
        let agent = admins[script.assignee.unwrap_or(1)];
        let agent_name = accounts::admin_by_id(conn, agent)?.map(|a| a.name).unwrap_or_default();
        if let Some(index) = script.assignee {
            tickets::assign(conn, &Scope::All, admins[0], id, Some(admins[index]), &meta)?;
        }
        for (who, text) in script.thread {
            let body = Body::parse("body", text).map_err(crate::db::DbError::invalid)?;
            let (scope, author) = if *who == 'a' {
                (Scope::All, (Sender::Agent(agent), agent_name.as_str()))
            } else {
                (Scope::Company(company), (Sender::Tenant(manager), opener.user_name.as_str()))
            };
            tickets::add_message(conn, &scope, author, id, &body, &meta)?;
        }
        if script.status != Status::New {
            tickets::set_status(conn, &Scope::All, agent, id, script.status, &meta)?;
        }
        tickets::backdate(conn, id, script.age_hours * HOUR)?;
    }
    if tickets::count(conn)? != SCRIPTS.len() as i64 {
        return Err(crate::db::DbError::Internal("demo tickets were not all written".into()));
    }
    Ok(())
}
