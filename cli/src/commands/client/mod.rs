//! `authctl client ...`: the registered OAuth clients, in the clients table the functions read.
//! A confidential client's secret is generated here, printed once on standard output and
//! stored only as an Argon2id hash; nothing prints a secret again, nor its hash.

use anyhow::Result;
use token_service::clients::{ClientChange, ClientSecret, ClientStore as _, DynamoClientStore};
use token_service::clock::{Clock as _, SystemClock, UnixSeconds};
use token_service::config::DEFAULT_CLIENTS_TABLE;
use token_service::domain::client::MAX_CLIENT_SECRETS;
use token_service::domain::{
    Client, ClientId, ClientType, GrantType, GrantTypes, RedirectUri, SecretHash,
};
use token_service::passwords::PasswordHasher;
use token_service::store::{dynamodb_client, StoreError};

use super::{parse_scopes, InputError};

mod view;

use view::{print_secret, ClientView};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register a client. A confidential client's secret is printed once.
    Add(AddArgs),
    /// Show a client (never a secret or its hash).
    Show(IdArgs),
    /// List every client.
    List(ListArgs),
    /// Disable a client: its authentication, refreshes and tokens are refused now.
    Disable(IdArgs),
    /// Enable a disabled client (its tokens work again: nothing was revoked).
    Enable(IdArgs),
    /// Replace the scopes the client may give (space- or comma-separated).
    SetScopes(SetArgs),
    /// Replace the grant types the client may use (space- or comma-separated).
    SetGrantTypes(SetArgs),
    /// Add a new secret to a confidential client (printed once); both work until
    /// remove-old-secret.
    RotateSecret(IdArgs),
    /// Keep only the client's newest secret.
    RemoveOldSecret(IdArgs),
    /// Delete a client.
    Remove(IdArgs),
}

/// The table the client commands work on.
#[derive(clap::Args)]
pub struct ClientTable {
    /// DynamoDB table holding the registered clients.
    #[arg(long = "table", env = "CLIENTS_TABLE", default_value = DEFAULT_CLIENTS_TABLE)]
    table: String,
}

impl ClientTable {
    async fn store(&self) -> DynamoClientStore {
        DynamoClientStore::new(
            dynamodb_client(&aws_config::load_from_env().await),
            &self.table,
        )
    }
}

#[derive(clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    table: ClientTable,
    client_id: String,
    /// `public` (id only) or `confidential` (authenticates with a secret).
    #[arg(long = "type")]
    client_type: String,
    /// Grant types it may use: password, refresh_token, client_credentials,
    /// authorization_code (space- or comma-separated).
    #[arg(long)]
    grant_types: String,
    /// Scopes it may give, space- or comma-separated (e.g. "me items").
    #[arg(long, default_value = "")]
    scopes: String,
    /// A redirect URI for the authorization code flow (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Print `{"client_id": ..., "client_secret": ...}` (the secret only for confidential
    /// clients).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct IdArgs {
    #[command(flatten)]
    table: ClientTable,
    client_id: String,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    table: ClientTable,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SetArgs {
    #[command(flatten)]
    table: ClientTable,
    client_id: String,
    /// The new list, space- or comma-separated; "" for none.
    value: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(command: Command) -> Result<()> {
    match command {
        Command::Add(args) => add(args).await,
        Command::Show(args) => {
            let client = get(&args.table, &args.client_id).await?;
            ClientView::of(&client).print(args.json)
        }
        Command::List(args) => {
            let clients = args.table.store().await.list().await?;
            let views: Vec<ClientView> = clients.iter().map(ClientView::of).collect();
            if args.json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                for view in &views {
                    view.print(false)?;
                }
                eprintln!("{} clients", views.len());
            }
            Ok(())
        }
        Command::Disable(args) => {
            let change = ClientChange {
                disabled: Some(true),
                ..ClientChange::default()
            };
            change_client(&args.table, &args.client_id, change, None, args.json).await
        }
        Command::Enable(args) => {
            let change = ClientChange {
                disabled: Some(false),
                ..ClientChange::default()
            };
            change_client(&args.table, &args.client_id, change, None, args.json).await
        }
        Command::SetScopes(args) => {
            let change = ClientChange {
                allowed_scopes: Some(parse_scopes(&args.value)?),
                ..ClientChange::default()
            };
            change_client(&args.table, &args.client_id, change, None, args.json).await
        }
        Command::SetGrantTypes(args) => {
            let client = get(&args.table, &args.client_id).await?;
            let grants = parse_grant_types(&args.value)?;
            check_rules(client.client_type, &grants, &client.redirect_uris)?;
            let change = ClientChange {
                grant_types: Some(grants),
                ..ClientChange::default()
            };
            // Conditional on what the rules were checked against.
            let revision = Some(client.revision);
            change_client(&args.table, &args.client_id, change, revision, args.json).await
        }
        Command::RotateSecret(args) => rotate_secret(args).await,
        Command::RemoveOldSecret(args) => {
            let client = get(&args.table, &args.client_id).await?;
            if client.secrets.len() < 2 {
                return Err(Refused(format!(
                    "client `{}` has {} secret(s): nothing old to remove",
                    client.client_id,
                    client.secrets.len()
                ))
                .into());
            }
            let newest: Vec<SecretHash> = client.secrets[client.secrets.len() - 1..].to_vec();
            let change = ClientChange {
                secrets: Some(newest),
                ..ClientChange::default()
            };
            let revision = Some(client.revision);
            change_client(&args.table, &args.client_id, change, revision, args.json).await
        }
        Command::Remove(args) => {
            let id = parse_id(&args.client_id)?;
            args.table.store().await.remove(&id).await?;
            eprintln!("removed `{id}`");
            Ok(())
        }
    }
}

/// A change the store refused as it stands (exit 7): a third secret, nothing to remove.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn now() -> UnixSeconds {
    SystemClock.now()
}

fn parse_id(text: &str) -> Result<ClientId> {
    Ok(ClientId::parse(text).map_err(|e| InputError(e.to_string()))?)
}

fn parse_grant_types(text: &str) -> Result<GrantTypes> {
    Ok(GrantTypes::parse(text).map_err(|e| InputError(e.to_string()))?)
}

/// The rules every registered client keeps: a public client cannot hold a secret, so it may
/// not get tokens for itself; the code flow needs somewhere to send the code.
fn check_rules(kind: ClientType, grants: &GrantTypes, redirect_uris: &[RedirectUri]) -> Result<()> {
    if kind == ClientType::Public && grants.contains(GrantType::ClientCredentials) {
        return Err(InputError(
            "a public client may not use client_credentials (it has no secret)".into(),
        )
        .into());
    }
    if grants.contains(GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(
            InputError("authorization_code needs at least one --redirect-uri".into()).into(),
        );
    }
    Ok(())
}

async fn get(table: &ClientTable, id: &str) -> Result<Client> {
    let id = parse_id(id)?;
    table
        .store()
        .await
        .get(&id)
        .await?
        .ok_or_else(|| StoreError::ClientNotFound(id).into())
}

/// Applies `change` (at `revision`, if given) and prints the client as it is afterwards.
async fn change_client(
    table: &ClientTable,
    id: &str,
    change: ClientChange,
    revision: Option<u64>,
    json: bool,
) -> Result<()> {
    let id = parse_id(id)?;
    let store = table.store().await;
    store.update(&id, &change, revision).await?;
    let client = store
        .get(&id)
        .await?
        .ok_or_else(|| StoreError::ClientNotFound(id.clone()))?;
    ClientView::of(&client).print(json)
}

async fn add(args: AddArgs) -> Result<()> {
    let client_id = parse_id(&args.client_id)?;
    if client_id.is_default() {
        return Err(InputError(format!(
            "`{}` is the built-in client's name (ANONYMOUS_CLIENT)",
            ClientId::DEFAULT
        ))
        .into());
    }
    let client_type = ClientType::parse(&args.client_type)
        .ok_or_else(|| InputError("--type must be `public` or `confidential`".into()))?;
    let grant_types = parse_grant_types(&args.grant_types)?;
    let redirect_uris = args
        .redirect_uris
        .iter()
        .map(|uri| RedirectUri::parse(uri).map_err(|e| InputError(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    check_rules(client_type, &grant_types, &redirect_uris)?;
    let at = now();
    let secret = (client_type == ClientType::Confidential).then(ClientSecret::generate);
    let secrets = match &secret {
        Some(secret) => vec![secret.hash(&PasswordHasher::new(), at).await?],
        None => Vec::new(),
    };
    let client = Client {
        client_id,
        client_type,
        grant_types,
        allowed_scopes: parse_scopes(&args.scopes)?,
        redirect_uris,
        secrets,
        disabled: false,
        created_at: at,
        revision: 0,
    };
    args.table.store().await.insert(&client).await?;
    match &secret {
        Some(secret) => print_secret(&client.client_id, secret, args.json),
        None if args.json => {
            println!(
                "{}",
                serde_json::json!({ "client_id": client.client_id.as_str() })
            );
            Ok(())
        }
        None => {
            eprintln!("added `{}`", client.client_id);
            ClientView::of(&client).print(false)
        }
    }
}

async fn rotate_secret(args: IdArgs) -> Result<()> {
    let client = get(&args.table, &args.client_id).await?;
    if !client.is_confidential() {
        return Err(InputError(format!(
            "`{}` is a public client: it has no secret",
            client.client_id
        ))
        .into());
    }
    if client.secrets.len() >= MAX_CLIENT_SECRETS {
        return Err(Refused(format!(
            "client `{}` already has {MAX_CLIENT_SECRETS} secrets: run `authctl client remove-old-secret` first",
            client.client_id
        ))
        .into());
    }
    let secret = ClientSecret::generate();
    let mut secrets = client.secrets.clone();
    secrets.push(secret.hash(&PasswordHasher::new(), now()).await?);
    let change = ClientChange {
        secrets: Some(secrets),
        ..ClientChange::default()
    };
    // Conditional: a rotation racing this one is refused, never silently lost.
    args.table
        .store()
        .await
        .update(&client.client_id, &change, Some(client.revision))
        .await?;
    print_secret(&client.client_id, &secret, args.json)
}
