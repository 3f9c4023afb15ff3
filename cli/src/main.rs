//! `authctl`: run the whole API locally, and operate the users table.
//!
//! Table commands use the standard AWS configuration (credentials, region,
//! `AWS_ENDPOINT_URL_DYNAMODB`) and the table named by `--table` or `USERS_TABLE`.

use std::io::{BufRead, IsTerminal};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use shared::config::{Config, Mode, SecretSource};
use shared::passwords;
use shared::scopes::ScopeSet;
use shared::tokens::TokenService;
use shared::users::{
    demo_users, DynamoUserStore, StoreError, StoredItem, User, UserStore, Username,
};
use shared::{AppState, Route};

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Run and operate the OAuth2 token service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API on 127.0.0.1 on its production paths.
    ///
    /// With no configuration: in-memory demo users and a random signing secret. With
    /// AWS_ENDPOINT_URL_DYNAMODB (or USER_STORE=dynamodb) set: users from DynamoDB.
    Serve {
        /// Port to listen on (0 picks a free one).
        #[arg(long, env = "PORT", default_value_t = 8000)]
        port: u16,
    },
    /// Create the users table (for local and test servers; in AWS the SAM template owns it).
    CreateTable(TableArgs),
    /// Add a user. The password is read from standard input or a prompt, never from arguments.
    AddUser {
        #[command(flatten)]
        table: TableArgs,
        username: String,
        /// Scopes the user may be granted, space- or comma-separated (e.g. "me items").
        #[arg(long, default_value = "")]
        scopes: String,
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Item ids the user owns (repeatable).
        #[arg(long = "item")]
        items: Vec<String>,
        /// Create the user disabled.
        #[arg(long)]
        disabled: bool,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Add the FastAPI tutorial's demo users: johndoe/secret and the disabled alice/secretalice.
    SeedDemo(TableArgs),
    /// Print an access token signed with JWT_SECRET, without a password (fixtures, debugging).
    IssueToken {
        username: String,
        #[arg(long, default_value = "")]
        scopes: String,
        /// Lifetime; ACCESS_TOKEN_TTL_SECONDS (or 1800) when not given. At most 200 years.
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=200 * 365 * 24 * 3600))]
        ttl_seconds: Option<u64>,
    },
}

#[derive(clap::Args)]
struct TableArgs {
    /// DynamoDB table holding the users.
    #[arg(long, env = "USERS_TABLE", default_value = shared::config::DEFAULT_TABLE)]
    table: String,
}

impl TableArgs {
    async fn store(&self) -> DynamoUserStore {
        DynamoUserStore::from_env(&self.table).await
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    lambda_http::tracing::init_default_subscriber_with_writer(std::io::stderr);
    match Cli::parse().command {
        Command::Serve { port } => serve(port).await,
        Command::CreateTable(table) => {
            table.store().await.create_table().await?;
            eprintln!("table `{}` is ready", table.table);
            Ok(())
        }
        Command::AddUser {
            table,
            username,
            scopes,
            full_name,
            email,
            items,
            disabled,
            password_stdin,
        } => {
            let username = Username::parse(&username)?;
            let allowed_scopes = parse_scopes(&scopes)?;
            let password = read_password(password_stdin)?;
            let user = User {
                username,
                email,
                full_name,
                disabled,
                password_hash: passwords::hash_password(password).await?,
                allowed_scopes,
                items: items
                    .into_iter()
                    .map(|item_id| StoredItem { item_id })
                    .collect(),
                failed_logins: 0,
                last_failed_login: None,
            };
            table.store().await.insert(&user).await?;
            eprintln!(
                "added `{}` (scopes: {})",
                user.username, user.allowed_scopes
            );
            Ok(())
        }
        Command::SeedDemo(table) => {
            let store = table.store().await;
            for user in tokio::task::spawn_blocking(demo_users).await?? {
                match store.insert(&user).await {
                    Ok(()) => eprintln!("added `{}`", user.username),
                    Err(StoreError::AlreadyExists(name)) => {
                        eprintln!("`{name}` already exists, left as it is")
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            Ok(())
        }
        Command::IssueToken {
            username,
            scopes,
            ttl_seconds,
        } => {
            let config = Config::from_env(Mode::Function)?;
            let SecretSource::Value(secret) = &config.secret else {
                bail!("issue-token signs with JWT_SECRET; set it");
            };
            let tokens =
                TokenService::new(secret, &config.issuer, &config.audience, config.token_ttl);
            let issued = tokens.issue_at(
                &Username::parse(&username)?,
                &parse_scopes(&scopes)?,
                None,
                shared::users::unix_now(),
                ttl_seconds.map_or(config.token_ttl, Duration::from_secs),
            )?;
            println!("{}", issued.access_token);
            Ok(())
        }
    }
}

async fn serve(port: u16) -> Result<()> {
    let config = Config::from_env(Mode::Local)?;
    let random_secret = matches!(config.secret, SecretSource::Random);
    let state = Arc::new(AppState::from_config(&config).await?);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let address = listener.local_addr()?;
    eprintln!("OAuth2 token service listening on http://{address}");
    for route in Route::ALL {
        eprintln!("  {:<4} http://{address}{}", route.method(), route.path());
    }
    eprintln!(
        "users: {:?}; signing secret: {}",
        config.store,
        if random_secret {
            "random (tokens end with this process)"
        } else {
            "from the environment"
        }
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    shared::server::serve(listener, state, shutdown).await?;
    Ok(())
}

/// Scopes as an operator types them: space- or comma-separated.
fn parse_scopes(text: &str) -> Result<ScopeSet> {
    Ok(ScopeSet::parse(&text.replace(',', " "))?)
}

/// One line from standard input, or a hidden prompt asked twice.
fn read_password(from_stdin: bool) -> Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        if first != rpassword::prompt_password("Password again: ")? {
            bail!("the passwords differ");
        }
        first
    };
    passwords::check_password_rules(&password)?;
    Ok(password)
}
