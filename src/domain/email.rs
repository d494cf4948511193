//! Email addresses as one organisation sees them (R3): trimmed, compared
//! case-insensitively, stored lower-cased. One mailbox has one spelling:
//! the local part in Unicode NFC, the domain in its ASCII (punycode) form,
//! so `ada@bücher.example` and `ada@xn--bcher-kva.example` are one address.

use super::text::{is_format_char, nfc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses what a person typed. Deliberately simple (one `@`, a dotted
    /// domain, no spaces or control characters, no header-breaking characters):
    /// the real check is that the invitation email arrives.
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = nfc(input.trim()).to_lowercase();
        let shown: String = input
            .trim()
            .chars()
            .filter(|c| !is_format_char(*c) && !c.is_control())
            .collect();
        let bad = || Err(format!("“{shown}” is not a valid email address."));
        if email.is_empty() || email.len() > 254 {
            return bad();
        }
        if email.chars().any(is_format_char) {
            return Err(format!(
                "“{shown}” contains invisible characters (such as a zero-width space): type the address again."
            ));
        }
        if email.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\'
                )
        }) {
            return bad();
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad();
        };
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || domain.starts_with('-')
        {
            return bad();
        }
        // IDNA: the domain as DNS and SMTP know it; refuses what cannot be one.
        let Ok(domain) = idna::domain_to_ascii(domain) else {
            return bad();
        };
        // What IDNA hands back must still be a host name: UTS 46 maps some
        // characters to spaces or marks (U+FE72 becomes a space and U+064C).
        let host_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(host_label) {
            return bad();
        }
        Ok(EmailAddress(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::is_format_char;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is typed, the parser answers without panicking; what it
        /// accepts is already in its one spelling (parsing again changes
        /// nothing), one `@`, an ASCII domain, nothing invisible or spacing.
        #[test]
        fn accepted_addresses_are_canonical(input in "\\PC{0,40}(@\\PC{0,20}(\\.[a-zé]{1,5})?)?") {
            if let Ok(email) = EmailAddress::parse(&input) {
                let text = email.as_str();
                prop_assert_eq!(EmailAddress::parse(text), Ok(email.clone()));
                prop_assert_eq!(text.matches('@').count(), 1);
                prop_assert!(email.domain().is_ascii());
                prop_assert!(!text.chars().any(|c| c.is_whitespace() || c.is_control() || is_format_char(c)));
                prop_assert_eq!(text.to_lowercase(), text);
            }
        }

        #[test]
        fn plain_addresses_are_accepted(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]{1,12}(\\.[a-z]{2,6}){1,2}") {
            prop_assume!(!local.starts_with('.') && !domain.starts_with('-'));
            let typed = format!("{local}@{domain}");
            prop_assert_eq!(EmailAddress::parse(&typed).map(|e| e.to_string()), Ok(typed));
        }
    }

    #[test]
    fn r3_trims_and_lowercases() {
        assert_eq!(
            EmailAddress::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@example..com",
            "ada@example.com\r\nBcc: x@y.z",
            "<ada@example.com>",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn one_mailbox_has_one_spelling() {
        let unicode = EmailAddress::parse("ada@Bücher.example").unwrap();
        let punycode = EmailAddress::parse("ada@xn--bcher-kva.example").unwrap();
        assert_eq!(unicode, punycode);
        assert_eq!(unicode.as_str(), "ada@xn--bcher-kva.example");
        let composed = EmailAddress::parse("jos\u{e9}@example.com").unwrap();
        let decomposed = EmailAddress::parse("jose\u{301}@example.com").unwrap();
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn invisible_characters_are_refused_with_a_clear_message() {
        for sneaky in [
            "ada\u{200B}@example.com",
            "ada@exa\u{00AD}mple.com",
            "\u{202E}moc.elpmaxe@ada",
            "ada@example.com\u{FEFF}",
        ] {
            let err = EmailAddress::parse(sneaky).unwrap_err();
            assert!(err.contains("invisible"), "{sneaky:?}: {err}");
        }
    }

    #[test]
    fn domains_that_idna_maps_to_non_host_characters_are_refused() {
        // Found by the property test: U+FE72 maps to a space and a mark.
        assert!(EmailAddress::parse("0@\u{fe72}.a").is_err());
    }

    #[test]
    fn accepts_plus_and_subdomains() {
        assert!(EmailAddress::parse("ada+roster@mail.example.co.uk").is_ok());
    }
}
