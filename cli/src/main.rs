//! `authctl`: run the whole API locally, and operate the users table.
//!
//! Table commands use the standard AWS configuration (credentials, region,
//! `AWS_ENDPOINT_URL_DYNAMODB`) and the table named by `--table` or `USERS_TABLE`.
//! Each command lives in its own file under `commands/`.

mod commands;

use anyhow::Result;
use clap::{Parser, Subcommand};

use commands::{add_user, create_table, issue_token, key, seed_demo, serve};

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
    Serve(serve::Args),
    /// Create the users, sessions and keys tables (for local and test servers; in AWS the
    /// SAM template owns them).
    CreateTable(create_table::Args),
    /// Add a user. The password is read from standard input or a prompt, never from arguments.
    AddUser(add_user::Args),
    /// Add the FastAPI tutorial's demo users: johndoe/secret and the disabled alice/secretalice.
    SeedDemo(commands::TableArgs),
    /// Print an access token without a password (fixtures, debugging), signed by the local
    /// signer the environment names (SIGNING_KEY_FILE, or TOKEN_SIGNER=hs256 with JWT_SECRET).
    IssueToken(issue_token::Args),
    /// The signing key set: list, rotate, retire, print the JWKS.
    #[command(subcommand)]
    Key(key::Command),
}

#[tokio::main]
async fn main() -> Result<()> {
    lambda_http::tracing::init_default_subscriber_with_writer(std::io::stderr);
    match Cli::parse().command {
        Command::Serve(args) => serve::run(args).await,
        Command::CreateTable(table) => create_table::run(table).await,
        Command::AddUser(args) => add_user::run(args).await,
        Command::SeedDemo(table) => seed_demo::run(table).await,
        Command::IssueToken(args) => issue_token::run(args).await,
        Command::Key(command) => key::run(command).await,
    }
}
