//! The AWS SDK configuration a process loads from its environment, and the certificate
//! authorities its TLS connections to AWS trust.
//!
//! A deployed function talks to DynamoDB and KMS only, and every AWS endpoint's certificate
//! chains to one of the five Amazon Trust Services roots. Trusting those alone, built in,
//! narrows trust from the ~150 authorities of the operating system's store to the ones AWS
//! uses, and spares every cold start reading and parsing that store: it was 19.5 of the
//! 22.8 million instructions a function spent starting (callgrind), though no AWS call is
//! made before the first event.

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::ConnectorBuilder;

use crate::config::Environment;

/// The Amazon Trust Services roots, PEM (public certificates; a unit test pins each one to
/// its published SHA-256 fingerprint).
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("aws/amazon-trust-services.pem");

/// The SDK configuration from the environment (region, credentials, endpoints), as
/// `aws_config::load_from_env` reads it, except in a deployed function
/// ([`Environment::Aws`]):
/// - TLS to AWS is verified against the Amazon Trust Services roots alone (Amazon Root CA
///   1-4 and Starfield Services Root G2, the cross-signer of Amazon Root CA 1, as published at
///   <https://www.amazontrust.com/repository/>), not the operating system's store;
/// - the credentials are the role's, which Lambda puts in the environment: read there
///   directly, rather than through the default chain, whose web-identity provider builds an
///   STS client (and with it one more HTTPS connector) at every start.
///
/// A local run (an operator's machine, perhaps behind a proxy that inspects TLS with an
/// authority of its own; profiles, SSO) keeps every default.
pub async fn load_config(environment: Environment) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    match environment {
        Environment::Local => loader.load().await,
        Environment::Aws => {
            let loader = loader.http_client(amazon_https_client());
            let loader = if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
                loader.credentials_provider(EnvironmentVariableCredentialsProvider::new())
            } else {
                loader
            };
            loader.load().await
        }
    }
}

/// The SDK's own HTTPS client (hyper, rustls on AWS-LC), made as the SDK makes its default
/// one (proxy settings from `HTTPS_PROXY`/`NO_PROXY` included), trusting only the Amazon
/// Trust Services roots.
fn amazon_https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store without native roots always builds");
    aws_smithy_http_client::Builder::new().build_with_connector_fn(
        move |settings, runtime_components| {
            let mut connector = ConnectorBuilder::default()
                .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                .tls_context(context.clone());
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = runtime_components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::CertificateDer;

    /// SHA-256 of each root's DER, as Amazon Trust Services publishes them.
    const PUBLISHED: [&str; 5] = [
        // Amazon Root CA 1
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
        // Amazon Root CA 2
        "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
        // Amazon Root CA 3
        "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
        // Amazon Root CA 4
        "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
        // Starfield Services Root Certificate Authority - G2
        "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
    ];

    #[test]
    fn the_built_in_roots_are_exactly_the_published_amazon_trust_services_roots() {
        // Parsed as the SDK's client parses a PEM trust store (it panics on a bad one).
        let certificates = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES)
            .collect::<Result<Vec<_>, _>>()
            .expect("valid PEM");
        let fingerprints: Vec<String> = certificates
            .iter()
            .map(|der| {
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der.as_ref())
                    .as_ref()
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect()
            })
            .collect();
        assert_eq!(fingerprints, PUBLISHED);
        let mut store = rustls::RootCertStore::empty();
        let (added, ignored) = store.add_parsable_certificates(certificates);
        assert_eq!(
            (added, ignored),
            (5, 0),
            "every root is usable as a trust anchor"
        );
    }
}
