//! `authctl issue-token`: an access token signed with `JWT_SECRET`, without a password
//! (fixtures, debugging).

use std::time::Duration;

use anyhow::{bail, Result};
use token_service::clock::{Clock as _, SystemClock};
use token_service::config::{Config, Mode, SecretSource};
use token_service::domain::Username;

use super::parse_scopes;

#[derive(clap::Args)]
pub struct Args {
    username: String,
    #[arg(long, default_value = "")]
    scopes: String,
    /// Lifetime; ACCESS_TOKEN_TTL_SECONDS (or 1800) when not given. At most 200 years.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=200 * 365 * 24 * 3600))]
    ttl_seconds: Option<u64>,
}

pub async fn run(args: Args) -> Result<()> {
    let config = Config::from_env(Mode::Function)?;
    if !matches!(config.secret, SecretSource::Value(_)) {
        bail!("issue-token signs with JWT_SECRET; set it");
    }
    let tokens = token_service::app::token_service(&config, None).await?;
    let issued = tokens.issue_with_ttl(
        &Username::parse(&args.username)?,
        &parse_scopes(&args.scopes)?,
        None,
        SystemClock.now(),
        args.ttl_seconds
            .map_or(config.tokens.ttl, Duration::from_secs),
    )?;
    println!("{}", issued.access_token);
    Ok(())
}
