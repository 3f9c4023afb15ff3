//! `authctl user ...`: account administration against the users table the functions use.
//! Passwords come from standard input or a hidden prompt asked twice, never from arguments.
//! Disabling a user, changing a password and `revoke` end every access token and session of
//! the user at once.

use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use serde::Serialize;
use token_service::attempts::{AttemptStore as _, SignInCounters};
use token_service::clock::{Clock as _, SystemClock, UnixSeconds};
use token_service::domain::lockout::LockoutPolicy;
use token_service::domain::{SourceAddress, StoredItem, User, Username};
use token_service::passwords::{Password, PasswordHasher};
use token_service::store::{demo_users, AccountChange, StoreError, UserStore as _};

use super::{parse_scopes, InputError, TableArgs};

/// Shortest password an operator may set (NIST SP 800-63B §3.1.1.2: at least 8 characters).
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Add a user. The password is read from standard input or a prompt.
    Add(AddArgs),
    /// Show a user (never the password hash).
    Show(NameArgs),
    /// List every user.
    List(ListArgs),
    /// Disable a user: sign-in refused, and every token and session ends now.
    Disable(NameArgs),
    /// Enable a disabled user (tokens from before the disabling stay dead).
    Enable(NameArgs),
    /// Replace the scopes a user may be granted (space- or comma-separated).
    SetScopes(SetScopesArgs),
    /// Set a new password (stdin or prompt); ends every token and session of the user.
    SetPassword(PasswordArgs),
    /// End every lockout of the account: its per-address locks and its hourly ceiling.
    Unlock(NameArgs),
    /// End every access token and session of the user now.
    Revoke(NameArgs),
    /// Add the FastAPI tutorial's demo users: johndoe/secret and the disabled alice/secretalice.
    SeedDemo(TableArgs),
}

#[derive(clap::Args)]
pub struct AddArgs {
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
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct NameArgs {
    #[command(flatten)]
    table: TableArgs,
    username: String,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    table: TableArgs,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SetScopesArgs {
    #[command(flatten)]
    table: TableArgs,
    username: String,
    /// The scopes, space- or comma-separated; "" for none.
    scopes: String,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PasswordArgs {
    #[command(flatten)]
    table: TableArgs,
    username: String,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    password_stdin: bool,
    #[arg(long)]
    json: bool,
}

/// What `show`, `list` and every change print: the account, never its hash.
#[derive(Serialize)]
struct AccountView {
    username: String,
    full_name: Option<String>,
    email: Option<String>,
    disabled: bool,
    scopes: String,
    items: Vec<String>,
    /// Unsuccessful sign-ins counted against the account's hourly ceiling (all addresses
    /// together); `None` in listings, which do not read the counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    recent_failures: Option<u64>,
    /// When the account last failed to sign in, within the current window.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_failure: Option<UnixSeconds>,
    /// The account's ceiling is reached: every address is refused until the window ends
    /// (`authctl user unlock` ends it, and every per-address lock of the account, at once).
    locked_out: bool,
    /// Raised by each unlock: the account's sign-in counters start afresh.
    lockout_epoch: u64,
    /// Raised by each revocation; tokens of earlier versions are refused.
    token_version: u64,
    /// The password hash was made at other Argon2 parameters than today's. It is replaced at
    /// the account's next successful sign-in; until then a wrong password costs that hash's
    /// time, not the dummy's, which can tell that the account exists. `set-password` (or a
    /// reset by the user) closes that window at once.
    outdated_hash: bool,
}

impl AccountView {
    fn of(user: &User) -> Self {
        AccountView {
            username: user.username.to_string(),
            full_name: user.full_name.clone(),
            email: user.email.clone(),
            disabled: user.disabled,
            scopes: user.allowed_scopes.to_string(),
            items: user.items.iter().map(|i| i.item_id.clone()).collect(),
            recent_failures: None,
            last_failure: None,
            locked_out: false,
            lockout_epoch: user.lockout_epoch,
            token_version: user.token_version,
            outdated_hash: token_service::passwords::needs_rehash(&user.password_hash),
        }
    }

    /// The view with the account's current sign-in counter, read from the tokens table.
    async fn with_attempts(mut self, user: &User, table: &TableArgs) -> Result<Self> {
        let policy = LockoutPolicy::default();
        // The source does not matter for the account counter.
        let counters = SignInCounters::new(
            &policy,
            Some((&user.username, user.lockout_epoch)),
            &SourceAddress::unknown(),
            now(),
        );
        let state = table.attempts().await.read(&counters.account).await?;
        self.recent_failures = Some(state.count);
        self.last_failure = state.last_failure;
        self.locked_out = !policy.per_account.admits(state.count);
        Ok(self)
    }

    fn print(&self, json: bool) -> Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(self)?);
        } else {
            println!(
                "{}  scopes: {}  {}{}{}{}",
                self.username,
                if self.scopes.is_empty() {
                    "-"
                } else {
                    &self.scopes
                },
                if self.disabled { "disabled" } else { "enabled" },
                match self.recent_failures {
                    Some(n) if self.locked_out => format!("  locked out ({n} failures this hour)"),
                    Some(n) if n > 0 => format!("  {n} failures this hour"),
                    _ => String::new(),
                },
                if self.token_version > 0 {
                    format!("  token version {}", self.token_version)
                } else {
                    String::new()
                },
                if self.outdated_hash {
                    "  hash outdated (replaced at the next sign-in)"
                } else {
                    ""
                },
            );
        }
        Ok(())
    }
}

pub async fn run(command: Command) -> Result<()> {
    match command {
        Command::Add(args) => add(args).await,
        Command::Show(args) => {
            let user = get(&args.table, &args.username).await?;
            AccountView::of(&user)
                .with_attempts(&user, &args.table)
                .await?
                .print(args.json)
        }
        Command::List(args) => {
            let users = args.table.store().await.list().await?;
            let views: Vec<AccountView> = users.iter().map(AccountView::of).collect();
            if args.json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                for view in &views {
                    view.print(false)?;
                }
                eprintln!("{} users", views.len());
            }
            Ok(())
        }
        Command::Disable(args) => {
            let change = AccountChange {
                disabled: Some(true),
                revoke_tokens: true,
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::Enable(args) => {
            let change = AccountChange {
                disabled: Some(false),
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::SetScopes(args) => {
            let change = AccountChange {
                allowed_scopes: Some(parse_scopes(&args.scopes)?),
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::SetPassword(args) => {
            let username = parse_username(&args.username)?;
            // Fail on an unknown user before asking for a password.
            get(&args.table, username.as_str()).await?;
            let password = read_password(args.password_stdin)?;
            let change = AccountChange {
                password_hash: Some(PasswordHasher::new().hash(&password).await?),
                revoke_tokens: true,
                unlock: true,
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::Unlock(args) => {
            let change = AccountChange {
                unlock: true,
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::Revoke(args) => {
            let change = AccountChange {
                revoke_tokens: true,
                ..AccountChange::default()
            };
            change_account(&args.table, &args.username, change, args.json).await
        }
        Command::SeedDemo(table) => seed_demo(table).await,
    }
}

fn now() -> UnixSeconds {
    SystemClock.now()
}

fn parse_username(name: &str) -> Result<Username> {
    Ok(Username::parse(name).map_err(|e| InputError(e.to_string()))?)
}

async fn get(table: &TableArgs, name: &str) -> Result<User> {
    let username = parse_username(name)?;
    table
        .store()
        .await
        .get(&username)
        .await?
        .ok_or_else(|| StoreError::NotFound(username).into())
}

/// Applies `change` now and prints the account as it is afterwards.
async fn change_account(
    table: &TableArgs,
    name: &str,
    change: AccountChange,
    json: bool,
) -> Result<()> {
    let username = parse_username(name)?;
    let store = table.store().await;
    store.update_account(&username, &change).await?;
    let user = store
        .get(&username)
        .await?
        .ok_or_else(|| StoreError::NotFound(username.clone()))?;
    // The change is made: a counter that cannot be read must not report it failed.
    let view = match AccountView::of(&user).with_attempts(&user, table).await {
        Ok(view) => view,
        Err(err) => {
            eprintln!("warning: could not read the sign-in counters: {err}");
            AccountView::of(&user)
        }
    };
    view.print(json)
}

async fn add(args: AddArgs) -> Result<()> {
    let username = parse_username(&args.username)?;
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
        lockout_epoch: 0,
        token_version: 0,
    };
    args.table.store().await.insert(&user).await?;
    if !args.json {
        eprintln!("added `{}`", user.username);
    }
    AccountView::of(&user).print(args.json)
}

async fn seed_demo(table: TableArgs) -> Result<()> {
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

/// One line from standard input, or a hidden prompt asked twice; at least
/// [`MIN_PASSWORD_CHARS`] characters.
fn read_password(from_stdin: bool) -> Result<Password> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        if first != rpassword::prompt_password("Password again: ")? {
            return Err(InputError("the passwords differ".into()).into());
        }
        first
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(InputError(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
        .into());
    }
    Ok(Password::parse(password).map_err(|e| InputError(e.to_string()))?)
}
