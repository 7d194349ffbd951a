//! `ticketing token admin|user EMAIL`: a login token alone on stdout, for
//! scripts and the spec's curl smoke tests.

use anyhow::bail;

use super::accounts::open_store;
use crate::{
    auth::{TokenKeys, token::load_secret},
    config::Config,
    domain::AccountKind,
};

pub async fn run(config: Config, kind: AccountKind, email: &str) -> anyhow::Result<()> {
    let store = open_store(&config)?;
    let noun = kind.as_str();
    let Some(account) = store.token_subject(kind, email.trim().to_string()).await? else {
        bail!("no {noun} with email {}", email.trim())
    };
    if !account.active {
        bail!("the {noun} {} is disabled", email.trim());
    }
    let secret = load_secret(&config.auth.secret, &config.auth.secret_file, &config.generated_secret_path())?;
    let keys = TokenKeys::new(&secret, config.auth.token_ttl_minutes);
    let (token, _) = keys.issue(kind, account.id, account.token_version)?;
    println!("{token}");
    Ok(())
}
