//! `authctl serve`: the router of every endpoint on 127.0.0.1, with graceful shutdown.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{Context, Result};
use token_service::app::Duty;
use token_service::clients::DEMO_SERVICE_SECRET;
use token_service::config::{Config, Mode, SignerChoice, StoreChoice};
use token_service::http::{self, Endpoint};
use token_service::tokens::IssuerUrl;
use token_service::AppState;

#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    port: u16,
}

pub async fn run(args: Args) -> Result<()> {
    let mut config = Config::from_env(Mode::Local)?;
    let port = args.port;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let address = listener.local_addr()?;
    // Unless configured, the issuer is where this server really listens, so the discovery
    // document's URLs work.
    if std::env::var("JWT_ISSUER").map_or(true, |v| v.trim().is_empty()) {
        config.tokens.issuer = IssuerUrl::Fixed(format!("http://{address}"));
    }
    let state = AppState::from_config(&config, Duty::IssueAndVerify).await?;
    eprintln!("OAuth2 token service listening on http://{address}");
    for endpoint in Endpoint::ALL {
        let methods: Vec<&str> = endpoint.methods().iter().map(|m| m.as_str()).collect();
        eprintln!(
            "  {:<4} http://{address}{}",
            methods.join(","),
            endpoint.path()
        );
    }
    let signer = match &config.signer {
        SignerChoice::LocalRsa { key_file: None } => {
            "an RSA key generated now (tokens end with this process)".to_owned()
        }
        SignerChoice::LocalRsa {
            key_file: Some(path),
        } => format!("the RSA key in {}", path.display()),
        SignerChoice::Hs256(_) => "HS256 with JWT_SECRET (local opt-in)".to_owned(),
        SignerChoice::Kms => "AWS KMS".to_owned(),
    };
    eprintln!("users: {:?}; signing with {signer}", config.store);
    if config.store == StoreChoice::MemoryDemo {
        eprintln!("demo users: johndoe / secret (scopes me items), alice / secretalice (disabled)");
        eprintln!(
            "demo clients: demo-service / {DEMO_SERVICE_SECRET} (confidential, client_credentials, scope items), \
             demo-app (public, authorization_code refresh_token, redirect http://127.0.0.1:8765/callback), \
             docs (public, authorization_code: Swagger UI's code flow at /docs)"
        );
    }
    http::serve(listener, http::router_of_all(state), shutdown_signal()).await?;
    eprintln!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
