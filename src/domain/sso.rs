//! Single sign-on through OpenID Connect (R17): the organisation's sign-in
//! setting and the rules a provider's answer must meet. Pure: the protocol
//! itself (discovery, PKCE, token checks) lives in `server::sso`.

use serde::{Deserialize, Serialize};

/// How an organisation's people sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SignInMethod {
    #[default]
    Password,
    /// OpenID Connect at the organisation's identity provider.
    Sso,
}

impl SignInMethod {
    pub fn as_db(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Sso => "sso",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "password" => Some(SignInMethod::Password),
            "sso" => Some(SignInMethod::Sso),
            _ => None,
        }
    }
}

/// The Sign-in tab as Org Managers see it. The client secret never leaves
/// the server: only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInSettings {
    pub method: SignInMethod,
    pub issuer: String,
    pub client_id: String,
    pub has_client_secret: bool,
    /// `{ROSTER_PUBLIC_URL}/sso/callback`, to register at the provider.
    pub redirect_uri: String,
}

/// Why a return from the identity provider was refused. Each has the page
/// text the person sees at `/sso/problem?reason={code}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SsoRefusal {
    /// The verified email differs from the invitation's address.
    EmailMismatch,
    /// The provider did not say the email is verified.
    EmailUnverified,
    /// No account here for this identity (sign-in, not an invitation).
    UnknownAccount,
    /// R5, R18.
    Deactivated,
    /// The invitation link expired, was superseded, used or revoked meanwhile.
    LinkUnusable,
    /// Unknown, used or stale `state`; a bad or replayed answer; a token
    /// that fails verification. Nothing more is said about which.
    InvalidResponse,
    /// The provider could not be reached or refused the code.
    ProviderUnavailable,
    /// This organisation does not sign in through SSO (any more).
    NotEnabled,
}

impl SsoRefusal {
    pub const ALL: [SsoRefusal; 8] = [
        SsoRefusal::EmailMismatch,
        SsoRefusal::EmailUnverified,
        SsoRefusal::UnknownAccount,
        SsoRefusal::Deactivated,
        SsoRefusal::LinkUnusable,
        SsoRefusal::InvalidResponse,
        SsoRefusal::ProviderUnavailable,
        SsoRefusal::NotEnabled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SsoRefusal::EmailMismatch => "email_mismatch",
            SsoRefusal::EmailUnverified => "email_unverified",
            SsoRefusal::UnknownAccount => "unknown_account",
            SsoRefusal::Deactivated => "deactivated",
            SsoRefusal::LinkUnusable => "link_unusable",
            SsoRefusal::InvalidResponse => "invalid_response",
            SsoRefusal::ProviderUnavailable => "provider_unavailable",
            SsoRefusal::NotEnabled => "not_enabled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            SsoRefusal::EmailMismatch => "This account's email does not match the invitation",
            SsoRefusal::EmailUnverified => {
                "Your identity provider has not verified this account's email address, so it cannot be matched to an invitation."
            }
            SsoRefusal::UnknownAccount => {
                "There is no account here for this identity. Ask your manager for an invitation."
            }
            SsoRefusal::Deactivated => {
                "The user has been deactivated. Contact Organisation Manager/Support to reactivate them."
            }
            SsoRefusal::LinkUnusable => "This invitation link can no longer be used.",
            SsoRefusal::InvalidResponse => {
                "The answer from your identity provider could not be accepted. Please start again."
            }
            SsoRefusal::ProviderUnavailable => {
                "Your identity provider could not be reached. Please try again shortly."
            }
            SsoRefusal::NotEnabled => "This organisation does not use single sign-on.",
        }
    }
}

/// R17: the provider's email must be present, verified and the invitation's
/// own address (ASCII case-insensitive, as addresses are stored lowercased).
pub fn check_email(
    invited: &str,
    claimed: Option<&str>,
    verified: Option<bool>,
) -> Result<(), SsoRefusal> {
    let claimed = claimed.map(str::trim).filter(|c| !c.is_empty());
    let Some(claimed) = claimed else {
        return Err(SsoRefusal::EmailMismatch);
    };
    if verified != Some(true) {
        return Err(SsoRefusal::EmailUnverified);
    }
    if !claimed.eq_ignore_ascii_case(invited.trim()) {
        return Err(SsoRefusal::EmailMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_the_verified_email_must_be_the_invitations() {
        assert_eq!(
            check_email("ada@example.com", Some("Ada@Example.com"), Some(true)),
            Ok(())
        );
        assert_eq!(
            check_email("ada@example.com", Some("eve@example.com"), Some(true)),
            Err(SsoRefusal::EmailMismatch)
        );
        assert_eq!(
            check_email("ada@example.com", Some("ada@example.com"), Some(false)),
            Err(SsoRefusal::EmailUnverified)
        );
        assert_eq!(
            check_email("ada@example.com", Some("ada@example.com"), None),
            Err(SsoRefusal::EmailUnverified)
        );
        assert_eq!(
            check_email("ada@example.com", None, Some(true)),
            Err(SsoRefusal::EmailMismatch)
        );
    }

    #[test]
    fn refusal_codes_round_trip() {
        for refusal in SsoRefusal::ALL {
            assert_eq!(SsoRefusal::from_code(refusal.code()), Some(refusal));
        }
        assert_eq!(SsoRefusal::from_code("nope"), None);
    }
}
