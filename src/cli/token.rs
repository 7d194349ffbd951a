//! `ticketing token admin|user EMAIL`: a login token alone on stdout, for
//! scripts and the spec's curl smoke tests.

use anyhow::bail;

use super::{TokenKindArg, accounts::open_db};
use crate::{
    auth::{TokenKeys, TokenKind, token::load_secret},
    config::Config,
    db::accounts,
};

pub async fn run(config: Config, kind: TokenKindArg, email: &str) -> anyhow::Result<()> {
    let db = open_db(&config)?;
    let lookup = email.trim().to_string();
    let account = match kind {
        TokenKindArg::Admin => {
            db.read(move |c| accounts::admin_by_email(c, &lookup)).await?.map(|a| (a.id, a.active, a.token_version))
        }
        TokenKindArg::User => {
            db.read(move |c| accounts::user_by_email(c, &lookup)).await?.map(|u| (u.id, u.active, u.token_version))
        }
    };
    let noun = if kind == TokenKindArg::Admin { "admin" } else { "user" };
    let Some((id, active, version)) = account else { bail!("no {noun} with email {}", email.trim()) };
    if !active {
        bail!("the {noun} {} is disabled", email.trim());
    }
    let secret = load_secret(&config.auth.secret, &config.auth.secret_file, &config.generated_secret_path())?;
    let keys = TokenKeys::new(&secret, config.auth.token_ttl_minutes);
    let token_kind = if kind == TokenKindArg::Admin { TokenKind::Admin } else { TokenKind::User };
    let (token, _) = keys.issue(token_kind, id, version)?;
    println!("{token}");
    Ok(())
}
