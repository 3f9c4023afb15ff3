//! Forged tokens: any header and claims, signed by a given key, for near-miss tests.

use serde_json::Value;

use super::{TestApp, NOW};

/// A token with any header and claims, signed by `signer`.
pub async fn forge_with(
    signer: &dyn token_service::tokens::Signer,
    header: &Value,
    claims: &Value,
) -> String {
    use base64::Engine as _;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let input = format!("{}.{}", b64(header), b64(claims));
    let key = signer.signing_key(NOW).await.unwrap();
    let signature = signer.sign(&key, input.as_bytes()).await.unwrap();
    format!(
        "{input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
    )
}

impl TestApp {
    /// The JOSE header of the app's own tokens, with `typ` replaced (`None` drops it).
    pub fn header(&self, typ: Option<&str>) -> Value {
        let mut header = serde_json::json!({"alg": "RS256", "kid": self.signer.kid().as_str()});
        if let Some(typ) = typ {
            header["typ"] = typ.into();
        }
        header
    }
}
