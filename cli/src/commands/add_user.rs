//! `authctl add-user`: one new user, with a password that never passes through arguments.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Result};
use token_service::domain::{StoredItem, User, Username};
use token_service::passwords::{Password, PasswordHasher};
use token_service::store::UserStore as _;

use super::{parse_scopes, TableArgs};

#[derive(clap::Args)]
pub struct Args {
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
}

pub async fn run(args: Args) -> Result<()> {
    let username = Username::parse(&args.username)?;
    let allowed_scopes = parse_scopes(&args.scopes)?;
    let password = read_password(args.password_stdin)?;
    let user = User {
        username,
        email: args.email,
        full_name: args.full_name,
        disabled: args.disabled,
        password_hash: PasswordHasher::new().hash(&password).await?,
        allowed_scopes,
        items: args
            .items
            .into_iter()
            .map(|item_id| StoredItem { item_id })
            .collect(),
        failed_logins: 0,
        last_failed_login: None,
        tokens_revoked_at: None,
    };
    args.table.store().await.insert(&user).await?;
    eprintln!(
        "added `{}` (scopes: {})",
        user.username, user.allowed_scopes
    );
    Ok(())
}

/// One line from standard input, or a hidden prompt asked twice.
fn read_password(from_stdin: bool) -> Result<Password> {
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
    Ok(Password::parse(password)?)
}
