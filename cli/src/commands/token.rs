//! `authctl token issue`: an access token for a user, without a password (fixtures,
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

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print an access token without a password (fixtures, debugging), signed by the local
    /// signer the environment names: SIGNING_KEY_FILE (published through KEY_SET_FILE or the
    /// keys table), or TOKEN_SIGNER=hs256 with JWT_SECRET.
    Issue(Args),
}

pub async fn run(command: Command) -> Result<()> {
    match command {
        Command::Issue(args) => issue(args).await,
    }
}

#[derive(clap::Args)]
pub struct Args {
    username: String,
    #[arg(long, default_value = "")]
    scopes: String,
    /// Print {"access_token", "expires_in", "scope"} as JSON instead of the bare token.
    #[arg(long)]
    json: bool,
    /// Lifetime; ACCESS_TOKEN_TTL_SECONDS (or 1800) when not given. At most 200 years.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=200 * 365 * 24 * 3600))]
    ttl_seconds: Option<u64>,
}

async fn issue(args: Args) -> Result<()> {
    let config = Config::from_env(Mode::Local)?;
    if matches!(config.signer, SignerChoice::LocalRsa { key_file: None }) {
        bail!(
            "token issue needs a key that verifiers trust: SIGNING_KEY_FILE (published through \
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
            &Username::parse(&args.username).map_err(|e| super::InputError(e.to_string()))?,
            &parse_scopes(&args.scopes)?,
            None,
            now,
            args.ttl_seconds
                .map_or(config.tokens.ttl, Duration::from_secs),
        )
        .await?;
    if args.json {
        let body = serde_json::json!({
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "scope": issued.scope.to_string(),
        });
        println!("{body}");
    } else {
        println!("{}", issued.access_token);
    }
    Ok(())
}
