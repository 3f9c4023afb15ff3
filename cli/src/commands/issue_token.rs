//! `authctl issue-token`: an access token for a user, without a password (fixtures,
//! debugging). Signed by the signer the environment names: `SIGNING_KEY_FILE` (with
//! `KEY_SET_FILE` or a DynamoDB endpoint, so that verifiers find its key), or the HS256 opt-in.

use std::time::Duration;

use anyhow::{bail, Result};
use token_service::app;
use token_service::clock::{Clock as _, SystemClock};
use token_service::config::{Config, Mode, SignerChoice};
use token_service::domain::Username;
use token_service::tokens::IssuerUrl;

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
    if matches!(config.signer, SignerChoice::LocalRsa { key_file: None }) {
        bail!(
            "issue-token needs a key that verifiers trust: SIGNING_KEY_FILE (published through \
             KEY_SET_FILE or the DynamoDB keys table), or TOKEN_SIGNER=hs256 with JWT_SECRET"
        );
    }
    let now = SystemClock.now();
    let keys = app::key_set(&config, None, now).await?;
    let issuer = app::token_issuer(&config, None, &keys, now).await?;
    let issuer_url = match &config.tokens.issuer {
        IssuerUrl::Fixed(url) => url.clone(),
        IssuerUrl::FromApiDomain => bail!("set JWT_ISSUER: the issuer URL the token names"),
    };
    let issued = issuer
        .issue_with_ttl(
            &issuer_url,
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
