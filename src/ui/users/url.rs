//! The users table's state lives in the URL (`?status=invited,active&q=ada&page=2`),
//! so back/forward and reload keep filters, search and page.

use crate::domain::{
    invitations::{LinkFilter, PageAnchor, SortKey, UserQuery},
    UserStatus,
};

fn query_from_params(get: impl Fn(&str) -> Option<String>, team_id: Option<String>) -> UserQuery {
    let statuses = get("status")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| UserStatus::from_db(s.trim()))
        .collect();
    let link = match get("view").as_deref() {
        Some("expired") => LinkFilter::Expired,
        Some("expiring") => LinkFilter::ExpiringSoon,
        _ => LinkFilter::Any,
    };
    let sort = match get("sort").as_deref() {
        Some("email") => SortKey::Email,
        Some("status") => SortKey::Status,
        Some("last_sent") => SortKey::LastSent,
        Some("expires") => SortKey::Expires,
        _ => SortKey::Name,
    };
    let page = get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    // Page 1 starts at the start, whatever the URL says.
    let anchor = match (get("after"), get("before")) {
        _ if page == 1 => None,
        (Some(id), _) => Some(PageAnchor::After(id)),
        (None, Some(id)) => Some(PageAnchor::Before(id)),
        (None, None) => None,
    };
    UserQuery {
        statuses,
        link,
        search: get("q").unwrap_or_default(),
        sort,
        descending: get("desc").as_deref() == Some("1"),
        page,
        anchor,
        per_page: 50,
        team_id,
    }
}

/// The query of a URL's search part (`?status=invited&q=ada`), as the
/// browser has it: for back and forward, where the page is not reloaded.
pub fn query_from_search(search: &str, team_id: Option<String>) -> UserQuery {
    query_from_params(|name| search_param(search, name), team_id)
}

/// The first value of `name` in a URL's search part (`?a=1&b=x%20y`),
/// decoded; also for the API's own parameters (`limit`, `cursor`).
pub fn search_param(search: &str, name: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, _)| !key.is_empty() && decode(key) == name)
        .map(|(_, value)| decode(value))
}

pub fn params_of(query: &UserQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !query.statuses.is_empty() {
        let list: Vec<&str> = query.statuses.iter().map(|s| s.as_db()).collect();
        parts.push(format!("status={}", list.join(",")));
    }
    match query.link {
        LinkFilter::Any => {}
        LinkFilter::Expired => parts.push("view=expired".into()),
        LinkFilter::ExpiringSoon => parts.push("view=expiring".into()),
    }
    if !query.search.is_empty() {
        parts.push(format!("q={}", encode(&query.search)));
    }
    let sort = match query.sort {
        SortKey::Name => None,
        SortKey::Email => Some("email"),
        SortKey::Status => Some("status"),
        SortKey::LastSent => Some("last_sent"),
        SortKey::Expires => Some("expires"),
    };
    if let Some(sort) = sort {
        parts.push(format!("sort={sort}"));
    }
    if query.descending {
        parts.push("desc=1".into());
    }
    if query.page > 1 {
        parts.push(format!("page={}", query.page));
        match &query.anchor {
            Some(PageAnchor::After(id)) => parts.push(format!("after={}", encode(id))),
            Some(PageAnchor::Before(id)) => parts.push(format!("before={}", encode(id))),
            None => {}
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes all but unreserved characters and `@`: safe in a query
/// value and in a path segment.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Undoes percent-encoding (and `+` for a space, as forms write it);
/// malformed escapes stay as they are.
fn decode(text: &str) -> String {
    let hex = |byte: u8| (byte as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn round_trips_through_the_url() {
        let query = UserQuery {
            statuses: vec![UserStatus::Invited, UserStatus::Deactivated],
            link: LinkFilter::Expired,
            search: "ada lovelace&co".into(),
            sort: SortKey::LastSent,
            descending: true,
            page: 3,
            ..Default::default()
        };
        let url = params_of(&query);
        assert_eq!(url, "?status=invited,deactivated&view=expired&q=ada%20lovelace%26co&sort=last_sent&desc=1&page=3");
        let map: HashMap<String, String> = url[1..]
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .map(|(k, v)| (k.to_string(), v.replace("%20", " ").replace("%26", "&")))
            .collect();
        assert_eq!(query_from_params(|k| map.get(k).cloned(), None), query);
        assert_eq!(params_of(&UserQuery::default()), "");
    }

    #[test]
    fn the_browser_search_part_reads_back_as_the_query() {
        let query = UserQuery {
            statuses: vec![UserStatus::Invited],
            search: "zoë & co+1%".into(),
            sort: SortKey::Expires,
            page: 2,
            anchor: Some(PageAnchor::After("u-9".into())),
            ..Default::default()
        };
        assert_eq!(query_from_search(&params_of(&query), None), query);
        assert_eq!(query_from_search("", None), UserQuery::default());
        assert_eq!(query_from_search("?q=a+b&q=second&x", None).search, "a b");
        // A malformed escape is kept as typed.
        assert_eq!(query_from_search("?q=100%zz", None).search, "100%zz");
    }

    #[test]
    fn a_page_beside_the_last_keeps_its_anchor_in_the_url() {
        let next = UserQuery {
            page: 7,
            anchor: Some(PageAnchor::After("u-42".into())),
            ..Default::default()
        };
        assert_eq!(params_of(&next), "?page=7&after=u-42");
        let previous = UserQuery {
            page: 5,
            anchor: Some(PageAnchor::Before("u-1".into())),
            ..Default::default()
        };
        assert_eq!(params_of(&previous), "?page=5&before=u-1");
        for query in [next, previous] {
            let url = params_of(&query);
            let map: HashMap<&str, &str> = url[1..]
                .split('&')
                .map(|kv| kv.split_once('=').unwrap())
                .collect();
            assert_eq!(
                query_from_params(|k| map.get(k).map(|v| v.to_string()), None),
                query
            );
        }
        // Back on page 1 (a filter changed), the anchor is dropped.
        let first = UserQuery {
            page: 1,
            anchor: Some(PageAnchor::After("u-42".into())),
            ..Default::default()
        };
        assert_eq!(params_of(&first), "");
        let only_page: HashMap<&str, &str> = [("page", "1"), ("after", "u-42")].into();
        assert_eq!(
            query_from_params(|k| only_page.get(k).map(|v| v.to_string()), None).anchor,
            None
        );
    }
}
