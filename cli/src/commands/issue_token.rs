//! `authctl issue-token`: an access token for a user, without a password (fixtures,
//! debugging). Signed by the signer the environment names: `SIGNING_KEY_FILE` (with
//! `KEY_SET_FILE` or a DynamoDB endpoint, so that verifiers find its key), or the HS256 opt-in.

use std::time::Duration;

use anyhow::Result;
use token_service::app;
use token_service::clock::{Clock as _, SystemClock};
use token_service::config::{Config, Mode};
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
    let config = Config::from_env(Mode::Local)?;
    let now = SystemClock.now();
    let keys = app::key_set(&config, None, now).await?;
    let issuer = app::token_issuer(&config, None, &keys, now).await?;
    let issued = issuer
        .issue_with_ttl(
            &Username::parse(&args.username)?,
            &parse_scopes(&args.scopes)?,
            None,
            now,
            args.ttl_seconds
                .map_or(config.tokens.ttl, Duration::from_secs),
        )
        .await?;
    println!("{}", issued.access_token);
    Ok(())
}
