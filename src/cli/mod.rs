//! The command line: one subcommand per operator task. `--help` comes from
//! these doc comments.

mod accounts;
pub mod demo;
mod ops;
mod serve;
mod token;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{
    config::{Config, Overrides},
    domain::AccountKind,
};

/// A multi-tenant support ticketing system: one binary, one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "ticketing", version, about, propagate_version = true)]
pub struct Cli {
    /// The config file (default: ./ticketing.toml when it exists).
    #[arg(long, global = true, env = "TICKETING_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The SQLite database file (overrides database.path).
    #[arg(long, global = true, env = "TICKETING_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// A postgres:// URL: use PostgreSQL instead of the SQLite file (overrides database.url).
    #[arg(long, global = true, env = "TICKETING_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Log format: text for people, json for log shippers.
    #[arg(long, global = true, env = "TICKETING_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the API and the web UI.
    Serve {
        /// Address to listen on (overrides server.bind).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// Seed demo data first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Copy every row of the SQLite file (--db / database.path) into an
    /// empty PostgreSQL database (--database-url), then check that the
    /// row counts and the audit log match. The SQLite server must be stopped.
    MigrateTo,
    /// Seed demo companies, accounts and tickets into an empty database.
    Demo,
    /// Manage tenant companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Manage tenant users (company managers).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage platform admins (owners, admins, support agents).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print a login token for an account, alone on stdout (for scripts).
    Token {
        /// Which kind of account.
        #[arg(value_enum)]
        kind: AccountKind,
        /// The account's email.
        email: String,
    },
    /// Write a consistent copy of the database to FILE while it is in use.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
    /// Replace the database with a backup (the server must be stopped).
    Restore {
        /// A file written by `ticketing backup`.
        file: PathBuf,
    },
    /// Check integrity, foreign keys and the audit log; non-zero on a problem.
    Check,
    /// Exit 0 when the server's /healthz answers 200 (for service managers).
    /// It checks http://<address>/healthz, the address being --bind, else
    /// server.bind from the config (an address on every interface is asked
    /// on loopback), unless --url names the whole URL.
    Healthcheck {
        /// The whole URL to ask, e.g. http://127.0.0.1:8080/healthz.
        #[arg(long, conflicts_with = "bind")]
        url: Option<String>,
        /// The address the server listens on (as given to `serve --bind`).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Email: check the SMTP settings.
    #[command(subcommand)]
    Mail(MailCommand),
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test email with the [mail] settings (enabled or not) and
    /// print the SMTP server's answer; non-zero when it is refused.
    Test {
        /// Where to send it.
        #[arg(long, value_name = "EMAIL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration as TOML, secrets redacted.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company; prints its id. A name that is taken (ignoring case
    /// and surrounding spaces) is refused.
    Create {
        /// The company's name, as managers and the team see it.
        #[arg(long)]
        name: String,
    },
    /// List companies with their state, managers and open tickets.
    List,
    /// Give a company a new name.
    Rename {
        /// The company's id (see `company list`).
        id: i64,
        /// The new name.
        #[arg(long)]
        name: String,
    },
    /// Suspend a company: its managers can no longer act for it; its tickets stay.
    Suspend {
        /// The company's id.
        id: i64,
    },
    /// Let a suspended company's managers work again.
    Reactivate {
        /// The company's id.
        id: i64,
    },
}

/// What every new account is given on the command line.
#[derive(Debug, Args)]
pub struct NewAccountArgs {
    /// The email the person signs in with (unique among accounts of this kind).
    #[arg(long)]
    pub email: String,
    /// The person's name, as others see it.
    #[arg(long)]
    pub name: String,
    /// Read the password from standard input instead of printing an
    /// invitation link for the person to choose one.
    #[arg(long)]
    pub password_stdin: bool,
}

/// The tasks both kinds of account share.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// List the accounts of this kind.
    List,
    /// Disable an account; its tokens stop working at once.
    Disable {
        /// The account's email.
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's email.
        email: String,
    },
    /// Print a new one-time invitation link for the account (to set a
    /// password); the old link and the account's tokens stop working.
    Invite {
        /// The account's email.
        email: String,
    },
    /// Set an account's password from standard input (piped, or with
    /// --password-stdin); its tokens stop working.
    SetPassword {
        /// The account's email.
        email: String,
        /// Read the password from standard input even when it is a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a manager of one or more companies; prints the new id, and an
    /// invitation link on stderr unless --password-stdin gives the password.
    Create {
        #[command(flatten)]
        account: NewAccountArgs,
        /// A company the user manages (its id); repeat for several.
        #[arg(long = "company", value_name = "ID", required = true)]
        companies: Vec<i64>,
    },
    #[command(flatten)]
    Account(AccountCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a member of the platform team; prints the new id, and an
    /// invitation link on stderr unless --password-stdin gives the password.
    Create {
        #[command(flatten)]
        account: NewAccountArgs,
        /// platform_owner, platform_admin or platform_support.
        #[arg(long)]
        role: String,
    },
    #[command(flatten)]
    Account(AccountCommand),
}

/// Logs go to stderr; `TICKETING_LOG` filters them (default: info for the
/// server, warnings only for one-shot commands, so their stdout stays clean).
pub fn init_tracing(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match cli.command {
        Command::Serve { .. } => "info",
        Command::Healthcheck { .. } => "error",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_env("TICKETING_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match cli.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn load_config(cli: &Cli, bind: Option<String>) -> anyhow::Result<Config> {
    let overrides = Overrides { db: cli.db.clone(), database_url: cli.database_url.clone(), bind };
    Ok(Config::load(cli.config.as_deref(), std::env::vars(), &overrides)?)
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve { bind, demo } => {
            let config = load_config(&cli, bind.clone())?;
            serve::run(config, *demo).await
        }
        Command::Migrate => {
            let config = load_config(&cli, None)?;
            let applied = crate::store::migrate(&config.database)
                .with_context(|| format!("cannot migrate the database {}", config.database.location()))?;
            eprintln!("applied {applied} migration(s) to {}", config.database.location());
            Ok(())
        }
        Command::MigrateTo => ops::migrate_to(&load_config(&cli, None)?),
        Command::Demo => {
            let state = crate::app::AppState::open(load_config(&cli, None)?)?;
            if !demo::seed(&state).await? {
                anyhow::bail!(demo::NOT_EMPTY);
            }
            Ok(())
        }
        Command::Company(cmd) => accounts::company(load_config(&cli, None)?, cmd).await,
        Command::User(cmd) => accounts::user(load_config(&cli, None)?, cmd).await,
        Command::Admin(cmd) => accounts::admin(load_config(&cli, None)?, cmd).await,
        Command::Token { kind, email } => token::run(load_config(&cli, None)?, *kind, email).await,
        Command::Backup { file } => ops::backup(&load_config(&cli, None)?, file),
        Command::Restore { file } => ops::restore(&load_config(&cli, None)?, file),
        Command::Check => ops::check(&load_config(&cli, None)?),
        Command::Healthcheck { url, bind } => ops::healthcheck(&load_config(&cli, bind.clone())?, url.as_deref()),
        Command::Mail(MailCommand::Test { to }) => ops::mail_test(&load_config(&cli, None)?, to).await,
        Command::Config(ConfigCommand::Show) => {
            let config = load_config(&cli, None)?;
            println!("# signing secret: {}", config.secret_source());
            print!("{}", config.redacted_toml());
            Ok(())
        }
    }
}
