//! `company`, `user` and `admin`: the operator's account tasks. Passwords come
//! from standard input or are generated; they never appear in argv or logs.

use std::io::Read;

use anyhow::{Context, bail};

use super::{AdminCommand, CompanyCommand, UserCommand};
use crate::{
    auth::{Hasher, generate_password},
    config::Config,
    db::{
        Db, DbError,
        accounts::{self, AccountKind},
        audit::{Actor, AuditMeta},
    },
    domain::{AdminRole, Email, FieldError, Name, Password},
};

/// Opens the configured database, with an error that names the file.
pub fn open_db(config: &Config) -> anyhow::Result<Db> {
    Db::open(&config.database).with_context(|| format!("cannot open the database {}", config.database.path.display()))
}

fn field(e: FieldError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.field, e.message)
}

/// Turns storage outcomes into one clear line for the operator.
fn explain(e: DbError, missing: &str) -> anyhow::Error {
    match e {
        DbError::NotFound => anyhow::anyhow!("{missing}"),
        DbError::Conflict { detail, .. } => anyhow::anyhow!(detail),
        DbError::Invalid(errors) => {
            errors.into_iter().next().map(field).unwrap_or_else(|| anyhow::anyhow!("invalid input"))
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
    Password::new_secret(trimmed).map_err(field)
}

/// The password to set: from stdin, or generated and shown once on stderr.
fn new_password(from_stdin: bool) -> anyhow::Result<Password> {
    if from_stdin {
        return read_password_stdin();
    }
    let generated = generate_password()?;
    eprintln!("generated password (shown once): {generated}");
    Password::new_secret(&generated).map_err(field)
}

pub async fn company(config: Config, cmd: &CompanyCommand) -> anyhow::Result<()> {
    let db = open_db(&config)?;
    match cmd {
        CompanyCommand::Create { name } => {
            let name = Name::parse(name).map_err(field)?;
            let id = db
                .write(move |conn| accounts::create_company(conn, &name, Actor::Cli, &AuditMeta::default()))
                .await
                .map_err(|e| explain(e, "cannot create the company"))?;
            println!("{id}");
        }
        CompanyCommand::List => {
            for c in db.read(accounts::list_companies).await? {
                println!("{}\t{}", c.id, c.name);
            }
        }
    }
    Ok(())
}

pub async fn user(config: Config, cmd: &UserCommand) -> anyhow::Result<()> {
    let db = open_db(&config)?;
    match cmd {
        UserCommand::Create { email, name, companies, password_stdin } => {
            let email = Email::parse(email).map_err(field)?;
            let name = Name::parse(name).map_err(field)?;
            let password = new_password(*password_stdin)?;
            let hash = Hasher::new(&config.auth.password)?.hash_async(password.expose().to_string()).await?;
            let companies = companies.clone();
            let id = db
                .write(move |conn| {
                    accounts::create_user(conn, &email, &name, &hash, &companies, Actor::Cli, &AuditMeta::default())
                })
                .await
                .map_err(|e| explain(e, "cannot create the user"))?;
            println!("{id}");
        }
        UserCommand::List => {
            for (u, companies) in db.read(accounts::list_users).await? {
                let ids: Vec<String> = companies.iter().map(|c| c.id.to_string()).collect();
                let state = if u.active { "active" } else { "disabled" };
                println!("{}\t{}\t{}\t{}\tcompanies={}", u.id, u.email, u.name, state, ids.join(","));
            }
        }
        UserCommand::Disable { email } => disable(&db, AccountKind::User, email).await?,
        UserCommand::SetPassword { email, .. } => set_password(&db, &config, AccountKind::User, email).await?,
    }
    Ok(())
}

pub async fn admin(config: Config, cmd: &AdminCommand) -> anyhow::Result<()> {
    let db = open_db(&config)?;
    match cmd {
        AdminCommand::Create { email, name, role, password_stdin } => {
            let email = Email::parse(email).map_err(field)?;
            let name = Name::parse(name).map_err(field)?;
            let role = AdminRole::parse(role).map_err(field)?;
            let password = new_password(*password_stdin)?;
            let hash = Hasher::new(&config.auth.password)?.hash_async(password.expose().to_string()).await?;
            let id = db
                .write(move |conn| {
                    accounts::create_admin(conn, &email, &name, role, &hash, Actor::Cli, &AuditMeta::default())
                })
                .await
                .map_err(|e| explain(e, "cannot create the admin"))?;
            println!("{id}");
        }
        AdminCommand::List => {
            for a in db.read(accounts::list_admins).await? {
                let state = if a.active { "active" } else { "disabled" };
                println!("{}\t{}\t{}\t{}\t{}", a.id, a.email, a.name, a.role.as_str(), state);
            }
        }
        AdminCommand::Disable { email } => disable(&db, AccountKind::Admin, email).await?,
        AdminCommand::SetPassword { email, .. } => set_password(&db, &config, AccountKind::Admin, email).await?,
    }
    Ok(())
}

fn noun(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "user",
        AccountKind::Admin => "admin",
    }
}

async fn disable(db: &Db, kind: AccountKind, email: &str) -> anyhow::Result<()> {
    let lookup = email.trim().to_string();
    db.write(move |conn| accounts::disable(conn, kind, &lookup, Actor::Cli, &AuditMeta::default()))
        .await
        .map_err(|e| explain(e, &format!("no {} with email {}", noun(kind), email.trim())))?;
    eprintln!("disabled {} {}", noun(kind), email.trim());
    Ok(())
}

async fn set_password(db: &Db, config: &Config, kind: AccountKind, email: &str) -> anyhow::Result<()> {
    let password = read_password_stdin()?;
    let hash = Hasher::new(&config.auth.password)?.hash_async(password.expose().to_string()).await?;
    let lookup = email.trim().to_string();
    db.write(move |conn| accounts::set_password(conn, kind, &lookup, &hash, Actor::Cli, &AuditMeta::default()))
        .await
        .map_err(|e| explain(e, &format!("no {} with email {}", noun(kind), email.trim())))?;
    eprintln!("password changed for {} {}; existing tokens are revoked", noun(kind), email.trim());
    Ok(())
}
