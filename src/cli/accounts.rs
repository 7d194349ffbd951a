//! `company`, `user` and `admin`: the operator's account tasks. Passwords come
//! from standard input or are generated; they never appear in argv or logs.

use std::io::Read;

use anyhow::{Context, bail};

use super::{AccountCommand, AdminCommand, CompanyCommand, NewAccountArgs, UserCommand};
use crate::{
    auth::{Hasher, generate_password},
    config::Config,
    domain::{AccountKind, Actor, AdminRole, AuditMeta, CompanyId, Email, FieldError, Name, Password},
    service::accounts::{NewAdmin, NewUser},
    store::{Store, StoreError},
};

/// Opens the configured database, with an error that names the file.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database)
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", config.database.path.display()))
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

/// Reads a password from stdin (one trailing newline is dropped).
fn read_password_stdin() -> anyhow::Result<Password> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw).context("cannot read the password from standard input")?;
    let trimmed = raw.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&raw);
    if trimmed.is_empty() {
        bail!("the password on standard input is empty");
    }
    Password::new_secret(trimmed).map_err(field_problem)
}

/// The password to set: from stdin, or generated and shown once on stderr.
fn new_password(from_stdin: bool) -> anyhow::Result<Password> {
    if from_stdin {
        return read_password_stdin();
    }
    let generated = generate_password()?;
    eprintln!("generated password (shown once): {generated}");
    Password::new_secret(&generated).map_err(field_problem)
}

async fn hash(config: &Config, password: &Password) -> anyhow::Result<String> {
    Hasher::new(&config.auth.password)?.hash_async(password.expose().to_string()).await
}

/// The email, name and password hash of a new account.
async fn new_account(config: &Config, args: &NewAccountArgs) -> anyhow::Result<(Email, Name, String)> {
    let email = Email::parse(&args.email).map_err(field_problem)?;
    let name = Name::parse(&args.name).map_err(field_problem)?;
    let password = new_password(args.password_stdin)?;
    Ok((email, name, hash(config, &password).await?))
}

pub async fn company(config: Config, cmd: &CompanyCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    match cmd {
        CompanyCommand::Create { name } => {
            let name = Name::parse(name).map_err(field_problem)?;
            let id = store
                .create_company(name, Actor::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the company"))?;
            println!("{id}");
        }
        CompanyCommand::List => {
            for c in store.companies().await? {
                println!("{}\t{}", c.id, c.name);
            }
        }
    }
    Ok(())
}

pub async fn user(config: Config, cmd: &UserCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    match cmd {
        UserCommand::Create { account, companies } => {
            let (email, name, password_hash) = new_account(&config, account).await?;
            let user =
                NewUser { email, name, password_hash, companies: companies.iter().copied().map(CompanyId).collect() };
            let id = store
                .create_user(user, Actor::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the user"))?;
            println!("{id}");
        }
        UserCommand::Account(shared) => account(&store, &config, AccountKind::User, shared).await?,
    }
    Ok(())
}

pub async fn admin(config: Config, cmd: &AdminCommand) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    match cmd {
        AdminCommand::Create { account, role } => {
            let role = AdminRole::parse(role).map_err(field_problem)?;
            let (email, name, password_hash) = new_account(&config, account).await?;
            let id = store
                .create_admin(NewAdmin { email, name, role, password_hash }, Actor::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, "cannot create the admin"))?;
            println!("{id}");
        }
        AdminCommand::Account(shared) => account(&store, &config, AccountKind::Admin, shared).await?,
    }
    Ok(())
}

fn state(active: bool) -> &'static str {
    if active { "active" } else { "disabled" }
}

/// What both kinds of account share: listing, disabling, a new password.
async fn account(store: &Store, config: &Config, kind: AccountKind, cmd: &AccountCommand) -> anyhow::Result<()> {
    let noun = kind.as_str();
    match cmd {
        AccountCommand::List if kind == AccountKind::User => {
            for (u, companies) in store.users_with_memberships().await? {
                let ids: Vec<String> = companies.iter().map(|c| c.company.id.to_string()).collect();
                println!("{}\t{}\t{}\t{}\tcompanies={}", u.id, u.email, u.name, state(u.active), ids.join(","));
            }
        }
        AccountCommand::List => {
            for a in store.admins().await? {
                let account = a.account;
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    account.id,
                    account.email,
                    account.name,
                    a.role.as_str(),
                    state(account.active)
                );
            }
        }
        AccountCommand::Disable { email } => {
            let email = email.trim().to_string();
            store
                .disable_account(kind, email.clone(), Actor::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, &format!("no {noun} with email {email}")))?;
            eprintln!("disabled {noun} {email}");
        }
        AccountCommand::SetPassword { email, .. } => {
            let password = read_password_stdin()?;
            let password_hash = hash(config, &password).await?;
            let email = email.trim().to_string();
            store
                .set_password(kind, email.clone(), password_hash, Actor::Cli, AuditMeta::default())
                .await
                .map_err(|e| refusal(e, &format!("no {noun} with email {email}")))?;
            eprintln!("password changed for {noun} {email}; existing tokens are revoked");
        }
    }
    Ok(())
}
