//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256
//! of "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the endpoint's
//! secret (`whsec_` + base64 of the key). Receivers verify with any
//! Standard Webhooks library, or these few lines in their own language.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";
/// 32 random bytes: the HMAC's own block of strength.
const KEY_BYTES: usize = 32;

/// A fresh signing secret for a new endpoint.
pub fn new_secret() -> String {
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` header's value for one attempt. `timestamp` is
/// in seconds, as sent in `webhook-timestamp`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, SecretError> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| SecretError)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SecretError)?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A stored secret that is not `whsec_` + base64: never made by Roster.
#[derive(Debug, thiserror::Error)]
#[error("the endpoint's signing secret is not valid base64")]
pub struct SecretError;

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its libraries.
    #[test]
    fn matches_the_standard_webhooks_example() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_fresh_and_usable() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert!(sign(&a, "id", 1, "{}").is_ok());
        assert!(sign("whsec_***", "id", 1, "{}").is_err());
    }
}
