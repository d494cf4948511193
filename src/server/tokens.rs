//! Secret tokens (session cookies, invitation links): 256 bits from the OS
//! CSPRNG, URL-safe base64; only their SHA-256 is ever stored (SPEC §7).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A freshly made token: the secret to hand out once, and what to store.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
}

pub fn new_token() -> NewToken {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&secret);
    NewToken { secret, hash }
}

/// Lookups go by this hash, so the comparison that matters happens on a
/// digest an attacker cannot steer, not on the secret itself.
pub fn hash_token(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// Tokens we hand out are exactly 43 URL-safe characters; anything else is
/// refused before touching the database.
pub fn looks_like_token(candidate: &str) -> bool {
    candidate.len() == 43
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any cookie or link text is judged without panicking, and only
        /// strings of our exact shape pass.
        #[test]
        fn only_our_shape_looks_like_a_token(candidate in "\\PC{0,60}") {
            let verdict = looks_like_token(&candidate);
            prop_assert_eq!(
                verdict,
                candidate.len() == 43 && candidate.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }

        #[test]
        fn every_new_token_looks_like_one(_round in 0..50u8) {
            let token = new_token();
            prop_assert!(looks_like_token(&token.secret));
            prop_assert_eq!(hash_token(&token.secret), token.hash);
        }
    }

    #[test]
    fn tokens_are_long_unique_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a.secret, b.secret);
        assert!(looks_like_token(&a.secret));
        assert_eq!(hash_token(&a.secret), a.hash);
        assert_ne!(a.hash, a.secret);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&"a".repeat(42)));
        assert!(!looks_like_token(&format!("{}/", "a".repeat(42))));
    }
}
