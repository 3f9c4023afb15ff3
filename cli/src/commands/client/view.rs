//! What the client commands print: the client without its secrets, and a secret once.

use anyhow::Result;
use serde::Serialize;
use token_service::clients::ClientSecret;
use token_service::clock::UnixSeconds;
use token_service::domain::{Client, ClientId};

/// What `show`, `list` and every change print: the client, never a secret or its hash.
#[derive(Serialize)]
pub(super) struct ClientView {
    client_id: String,
    client_type: &'static str,
    grant_types: String,
    scopes: String,
    redirect_uris: Vec<String>,
    disabled: bool,
    created_at: UnixSeconds,
    /// When each live secret was made, oldest first.
    secrets_created_at: Vec<UnixSeconds>,
}

impl ClientView {
    pub(super) fn of(client: &Client) -> Self {
        ClientView {
            client_id: client.client_id.to_string(),
            client_type: client.client_type.as_str(),
            grant_types: client.grant_types.to_string(),
            scopes: client.allowed_scopes.to_string(),
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            disabled: client.disabled,
            created_at: client.created_at,
            secrets_created_at: client.secrets.iter().map(|s| s.created_at).collect(),
        }
    }

    pub(super) fn print(&self, json: bool) -> Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(self)?);
        } else {
            let or_dash = |text: &str| {
                if text.is_empty() {
                    "-".to_owned()
                } else {
                    text.to_owned()
                }
            };
            println!(
                "{}  {}  grants: {}  scopes: {}  {}  secrets: {}{}",
                self.client_id,
                self.client_type,
                or_dash(&self.grant_types),
                or_dash(&self.scopes),
                if self.disabled { "disabled" } else { "enabled" },
                self.secrets_created_at.len(),
                if self.redirect_uris.is_empty() {
                    String::new()
                } else {
                    format!("  redirect: {}", self.redirect_uris.join(" "))
                },
            );
        }
        Ok(())
    }
}

/// A secret as it is handed over once.
#[derive(Serialize)]
struct Issued<'a> {
    client_id: &'a str,
    client_secret: &'a str,
}

pub(super) fn print_secret(id: &ClientId, secret: &ClientSecret, json: bool) -> Result<()> {
    if json {
        let issued = Issued {
            client_id: id.as_str(),
            client_secret: secret.expose(),
        };
        println!("{}", serde_json::to_string(&issued)?);
    } else {
        println!("client_id: {id}");
        println!("client_secret: {}", secret.expose());
        eprintln!("The secret is shown this once; only its hash is stored.");
    }
    Ok(())
}
