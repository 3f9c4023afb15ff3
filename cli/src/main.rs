//! `authctl`: run the whole API locally, and operate a deployment: users, clients, signing
//! keys, tables, test tokens. Noun-verb commands, one file per noun under `commands/`.
//!
//! Table and key commands use the standard AWS configuration (credentials, region,
//! `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_KMS`) and the tables named by flags or by
//! `USERS_TABLE`, `CLIENTS_TABLE`, `TOKENS_TABLE` and `KEYS_TABLE`: the same tables the functions use.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use token_service::keys::{KeySetError, KeyStoreError};
use token_service::store::StoreError;

use commands::{client, create_table, key, serve, token, user, InputError};

const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  any other failure
  2  bad command line (usage)
  3  unknown user or client
  4  user or client already exists
  5  weak, empty or invalid input (password, username, client, scopes, configuration)
  6  store unavailable (DynamoDB, KMS, key set)
  7  the change was refused (a key rotation in progress, the last signing key, a client's
     third secret, a client changed meanwhile, ...)";

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Run and operate the OAuth2 token service",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API on 127.0.0.1 on its production paths.
    ///
    /// With no configuration: in-memory demo users and an RSA key generated at start. With
    /// AWS_ENDPOINT_URL_DYNAMODB (or USER_STORE=dynamodb) set: users, sessions and the key
    /// set from DynamoDB.
    Serve(serve::Args),
    /// Users: add, show, list, disable, enable, set-scopes, set-password, unlock, revoke.
    #[command(subcommand, after_help = EXIT_CODES)]
    User(user::Command),
    /// Registered OAuth clients: add, show, list, disable, enable, set-scopes,
    /// set-grant-types, rotate-secret, remove-old-secret, remove.
    #[command(subcommand, after_help = EXIT_CODES)]
    Client(client::Command),
    /// The signing key set: list, rotate, retire, print the JWKS.
    #[command(subcommand, after_help = EXIT_CODES)]
    Key(key::Command),
    /// Access tokens for local testing.
    #[command(subcommand, after_help = EXIT_CODES)]
    Token(token::Command),
    /// The DynamoDB tables (local and test servers; in AWS the SAM template owns them).
    #[command(subcommand, after_help = EXIT_CODES)]
    Table(TableCommand),
}

#[derive(Subcommand)]
enum TableCommand {
    /// Create the users, sessions and keys tables as the template defines them (idempotent).
    Create(create_table::Args),
}

/// The exit code of a failure, from the first cause that names one.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(store) = cause.downcast_ref::<StoreError>() {
            return match store {
                StoreError::NotFound(_) | StoreError::ClientNotFound(_) => 3,
                StoreError::AlreadyExists(_) | StoreError::ClientExists(_) => 4,
                StoreError::Corrupt { .. } | StoreError::Unavailable(_) => 6,
                StoreError::Conflict(_) => 7,
            };
        }
        if cause.is::<InputError>() || cause.is::<token_service::config::ConfigError>() {
            return 5;
        }
        if cause.is::<KeyStoreError>() || cause.is::<token_service::tokens::SignError>() {
            return 6;
        }
        if cause.is::<KeySetError>() || cause.is::<client::Refused>() {
            return 7;
        }
    }
    1
}

#[tokio::main]
async fn main() -> ExitCode {
    token_service::logging::init(std::io::stderr);
    let result = match Cli::parse().command {
        Command::Serve(args) => serve::run(args).await,
        Command::User(command) => user::run(command).await,
        Command::Client(command) => client::run(command).await,
        Command::Key(command) => key::run(command).await,
        Command::Token(command) => token::run(command).await,
        Command::Table(TableCommand::Create(args)) => create_table::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("authctl: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}
