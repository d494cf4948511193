//! Where to go after sign-in (SPEC §7: redirects stay on this site).

/// `next` if it is a path on this site, else `None`. Browsers read `\` as
/// `/` and drop tabs and newlines, so `/\evil.example` and `/\t/evil.example`
/// lead off-site; only a plain path of visible ASCII is accepted, which is
/// also always a valid `Location` header.
pub fn safe_next_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let on_site = chars.next() == Some('/') && !matches!(chars.next(), Some('/') | Some('\\'));
    let plain = next.len() <= 2000 && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    (on_site && plain).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(safe_next_path("/welcome/profile"), Some("/welcome/profile"));
        assert_eq!(
            safe_next_path("/manage/settings/users?status=invited&q=ann%40x"),
            Some("/manage/settings/users?status=invited&q=ann%40x")
        );
        assert_eq!(safe_next_path("/"), Some("/"));
    }

    #[test]
    fn anything_that_can_leave_the_site_is_dropped() {
        for next in [
            "//evil.example/phish",
            "/\\evil.example/phish",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\/evil.example",
            "https://evil.example",
            "evil.example",
            "/a\\b",
            "",
        ] {
            assert_eq!(safe_next_path(next), None, "{next:?}");
        }
    }

    #[test]
    fn control_and_non_ascii_characters_are_dropped() {
        assert_eq!(safe_next_path("/a\u{7f}b"), None);
        assert_eq!(safe_next_path("/a\rb"), None);
        assert_eq!(safe_next_path("/caf\u{e9}"), None);
        assert_eq!(safe_next_path(&format!("/{}", "a".repeat(3000))), None);
    }
}
