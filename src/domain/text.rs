//! What people type, made safe to store, compare and show: invisible
//! formatting characters are refused (a zero-width space makes two equal
//! addresses differ; a right-to-left override makes a name read backwards in
//! a table or an email subject), and text is compared in Unicode NFC.

use unicode_normalization::UnicodeNormalization;

/// Unicode format characters (general category Cf): invisible, yet they
/// change how text compares or reads. The ranges of Unicode 15.
const FORMAT_CHARS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'), // soft hyphen
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'), // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'), // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'), // zero-width space, ZWNJ, ZWJ, LRM, RLM
    ('\u{202A}', '\u{202E}'), // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'), // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'), // bidi isolates, deprecated format
    ('\u{FEFF}', '\u{FEFF}'), // byte order mark
    ('\u{FFF9}', '\u{FFFB}'), // interlinear annotation
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

pub fn is_format_char(c: char) -> bool {
    FORMAT_CHARS
        .iter()
        .any(|(from, to)| (*from..=*to).contains(&c))
}

/// Zero-width (non-)joiners shape Persian, Indic and emoji text correctly,
/// so a name may hold them; nothing else invisible.
pub fn is_allowed_in_names(c: char) -> bool {
    !c.is_control() && (!is_format_char(c) || matches!(c, '\u{200C}' | '\u{200D}'))
}

/// Unicode NFC: "é" typed as one character or as "e" and a combining accent
/// is the same text.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_format_characters() {
        for c in [
            '\u{200B}',
            '\u{00AD}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{E0041}',
        ] {
            assert!(is_format_char(c), "{c:?}");
            assert!(!is_allowed_in_names(c), "{c:?}");
        }
        for c in ['a', 'é', ' ', '-', '\u{0301}'] {
            assert!(!is_format_char(c), "{c:?}");
        }
        assert!(is_allowed_in_names('\u{200C}'), "ZWNJ shapes Persian names");
        assert!(!is_allowed_in_names('\u{7}'));
    }

    #[test]
    fn nfc_joins_combining_accents() {
        assert_eq!(nfc("Jose\u{0301}"), "José");
    }
}
