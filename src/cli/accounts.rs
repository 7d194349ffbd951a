//! `company`, `user` and `admin`: the operator's account tasks, for the first
//! owner and for scripts; the admin UI does the same through the API. Each
//! writes the same audit rows as the API, with the command line as actor.
//! Passwords come from standard input only; by default a new account gets a
//! one-time invitation link instead, printed once the account exists.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};

use super::{AccountCommand, AdminCommand, CompanyCommand, NewAccountArgs, UserCommand};
use crate::{
    access::Acting,
    auth::{Hasher, invitation::Link},
    config::Config,
    domain::{AccountKind, AdminRole, AuditMeta, CompanyId, Email, FieldError, Name, PageRequest, Password},
    service::accounts::{AdminChanges, CompanyChanges, Credential, NewAdmin, NewUser, UserChanges},
    store::{Store, StoreError},
};

/// Opens the configured database, with an error that names the file.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database)
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", config.database.location()))
}

/// A field's problem as one line for the operator.
fn field_problem(e: FieldError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.field, e.message)
}

/// Turns a use case's refusal into one clear line for the operator;
/// `missing` says what was not found.
fn refusal(e: StoreError, missing: &str) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow::anyhow!("{missing}"),
        StoreError::Conflict { detail, .. } | StoreError::Forbidden { detail, .. } => anyhow::anyhow!(detail),
        StoreError::Invalid(errors) => {
            errors.into_iter().next().map(field_problem).unwrap_or_else(|| anyhow::anyhow!("invalid input"))
        }
        other => anyhow::Error::new(other),
    }
}

/// Reads a password from stdin (one trailing newline is dropped) and checks
/// it as any new password is checked.
fn read_password_stdin(email: &str) -> anyhow::Result<Password> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw).context("cannot read the password from standard input")?;
    let trimmed = raw.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&raw);
    if trimmed.is_empty() {
        bail!("the password on standard input is empty");
    }
    Password::new_secret(trimmed, email).map_err(field_problem)
}

async fn hash(config: &Config, password: &Password) -> anyhow::Result<String> {
    Hasher::new(&config.auth.password)?.hash_async(password.expose().to_string()).await
}

/// The email, name and credential of a new account, and the link to print
/// once it exists (none when the password came on stdin).
async fn new_account(
    config: &Config,
    args: &NewAccountArgs,
) -> anyhow::Result<(Email, Name, Credential, Option<Link>)> {
    let email = Email::parse(&args.email).map_err(field_problem)?;
    let name = Name::parse(&args.name).map_err(field_problem)?;
    if args.password_stdin {
        let password = read_password_stdin(email.as_str())?;
        return Ok((email, name, Credential::Password(hash(config, &password).await?), None));
    }
    let link = Link::new(config)?;
    Ok((email, name, Credential::Invitation(link.stored.clone()), Some(link)))
}

/// After an account is created: its id on stdout, its link on stderr.
fn created(id: impl std::fmt::Display, link: Option<Link>) {
    println!("{id}");
    if let Some(link) = link {
        eprintln!(
            "invitation link (give it to the person; valid until {}): {}",
            link.stored.expires.to_rfc3339(),
            link.url
        );
    }
}

fn company_name(name: &str) -> anyhow::Result<Name> {
    Name::parse(name).map_err(field_problem)
}

pub async fn company(config: Config, cmd: &CompanyCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    let no_company = |id: i64| format!("no company with id {id}");
    let change = |id: i64, change: CompanyChanges| {
        let store = &store;
        async move {
            store
                .update_company(CompanyId(id), change, Acting::Cli.actor(), AuditMeta::default())
                .await
                .map_err(|e| refusal(e, &no_company(id)))
        }
    };
    match cmd {
        CompanyCommand::Create { name } => {
            let id = store
                .create_company(company_name(name)?, Acting::Cli.actor(), AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the company"))?;
            println!("{id}");
        }
        CompanyCommand::List => {
            println!("ID\tNAME\tSTATE\tMANAGERS\tOPEN TICKETS");
            let mut page = PageRequest::first(100);
            loop {
                let found = store.company_list(None, page.clone()).await?;
                for c in &found.items {
                    let state = if c.company.active { "active" } else { "suspended" };
                    println!("{}\t{}\t{state}\t{}\t{}", c.company.id, c.company.name, c.managers, c.open_tickets);
                }
                let Some(next) = found.next_cursor else { break };
                page = PageRequest::parse(Some(&page.limit.to_string()), Some(&next))
                    .map_err(|_| anyhow::anyhow!("cannot page through the companies"))?;
            }
        }
        CompanyCommand::Rename { id, name } => {
            let after = change(*id, CompanyChanges { name: Some(company_name(name)?), active: None }).await?;
            eprintln!("company {id} is now named {}", after.company.name);
        }
        CompanyCommand::Suspend { id } => {
            change(*id, CompanyChanges { name: None, active: Some(false) }).await?;
            eprintln!("company {id} is suspended: its managers cannot act for it until it is reactivated");
        }
        CompanyCommand::Reactivate { id } => {
            change(*id, CompanyChanges { name: None, active: Some(true) }).await?;
            eprintln!("company {id} is active again");
        }
    }
    Ok(())
}

pub async fn user(config: Config, cmd: &UserCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    match cmd {
        UserCommand::Create { account: args, companies } => {
            let (email, name, credential, link) = new_account(&config, args).await?;
            let user =
                NewUser { email, name, credential, companies: companies.iter().copied().map(CompanyId).collect() };
            let id = store
                .create_user(user, Acting::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the user"))?;
            created(id, link);
        }
        UserCommand::Account(shared) => account(&store, &config, AccountKind::User, shared).await?,
    }
    Ok(())
}

pub async fn admin(config: Config, cmd: &AdminCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    match cmd {
        AdminCommand::Create { account: args, role } => {
            let role = AdminRole::parse(role).map_err(field_problem)?;
            let (email, name, credential, link) = new_account(&config, args).await?;
            let id = store
                .create_admin(NewAdmin { email, name, role, credential }, Acting::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the admin"))?;
            created(id, link);
        }
        AdminCommand::Account(shared) => account(&store, &config, AccountKind::Admin, shared).await?,
    }
    Ok(())
}

fn state(active: bool) -> &'static str {
    if active { "active" } else { "disabled" }
}

/// The id of the account of this kind with this email.
async fn account_id(store: &Store, kind: AccountKind, email: &str) -> anyhow::Result<i64> {
    let email = email.trim().to_string();
    let missing = format!("no {} with email {email}", kind.as_str());
    let found = match kind {
        AccountKind::User => store.user_by_email(email).await.map(|u| u.id.get()),
        AccountKind::Admin => store.admin_by_email(email).await.map(|a| a.account.id.get()),
    };
    found.map_err(|e| refusal(e, &missing))
}

/// Enables or disables an account.
async fn set_active(store: &Store, kind: AccountKind, id: i64, active: bool) -> Result<(), StoreError> {
    let meta = AuditMeta::default();
    match kind {
        AccountKind::User => {
            let change = UserChanges { active: Some(active), ..UserChanges::default() };
            store.update_user(crate::domain::UserId(id), change, Acting::Cli, meta).await.map(drop)
        }
        AccountKind::Admin => {
            let change = AdminChanges { active: Some(active), ..AdminChanges::default() };
            store.update_admin(crate::domain::AdminId(id), change, Acting::Cli, meta).await.map(drop)
        }
    }
}

/// What both kinds of account share: listing, enabling and disabling, a new
/// link, a new password.
async fn account(store: &Store, config: &Config, kind: AccountKind, cmd: &AccountCommand) -> anyhow::Result<()> {
    let noun = kind.as_str();
    match cmd {
        AccountCommand::List if kind == AccountKind::User => {
            println!("ID\tEMAIL\tNAME\tSTATE\tCOMPANIES");
            for (u, companies) in store.users_with_memberships().await? {
                let names: Vec<&str> = companies.iter().map(|c| c.company.name.as_str()).collect();
                println!("{}\t{}\t{}\t{}\t{}", u.id, u.email, u.name, state(u.active), names.join(", "));
            }
        }
        AccountCommand::List => {
            println!("ID\tEMAIL\tNAME\tROLE\tSTATE");
            for a in store.admins().await? {
                let account = a.account;
                let role = a.role.as_str();
                println!("{}\t{}\t{}\t{role}\t{}", account.id, account.email, account.name, state(account.active));
            }
        }
        AccountCommand::Disable { email } | AccountCommand::Enable { email } => {
            let active = matches!(cmd, AccountCommand::Enable { .. });
            let id = account_id(store, kind, email).await?;
            set_active(store, kind, id, active).await.map_err(|e| refusal(e, "the account is gone"))?;
            let what = if active { "enabled" } else { "disabled; its tokens stop working at once" };
            eprintln!("{noun} {} is {what}", email.trim());
        }
        AccountCommand::Invite { email } => {
            let id = account_id(store, kind, email).await?;
            let link = Link::new(config)?;
            store
                .reinvite(kind, id, link.stored.clone(), Acting::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "the account is gone"))?;
            println!("{}", link.url);
            eprintln!(
                "valid until {}; the old link and the account's tokens stop working",
                link.stored.expires.to_rfc3339()
            );
        }
        AccountCommand::SetPassword { email, password_stdin } => {
            if !password_stdin && std::io::stdin().is_terminal() {
                bail!("pipe the new password on standard input (or pass --password-stdin and type it, then Ctrl-D)");
            }
            let id = account_id(store, kind, email).await?;
            let password = read_password_stdin(email.trim())?;
            let password_hash = hash(config, &password).await?;
            store
                .set_password(kind, id, password_hash, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "the account is gone"))?;
            eprintln!("password changed for {noun} {}; existing tokens are revoked", email.trim());
        }
    }
    Ok(())
}
