//! Addresses Roster itself calls, typed by an Org Manager: an identity
//! provider's issuer (R17) and webhook endpoints. `https` only, but plain
//! `http` on this machine (127.0.0.0/8, ::1, localhost), for a provider or a
//! receiver under test.

pub const MAX_URL_CHARS: usize = 2000;

/// What the address is, for the messages.
pub struct UrlField {
    /// "Issuer URL"
    pub label: &'static str,
    /// "https://login.example.com"
    pub example: &'static str,
    /// What may use plain http on this machine: "a provider".
    pub local: &'static str,
    /// An issuer is compared as it is; a webhook may carry its own query.
    pub query_allowed: bool,
}

/// Checks `raw` (trimmed) and answers the trimmed text and its parse.
pub fn check(raw: &str, field: &UrlField) -> Result<(String, url::Url), String> {
    let label = field.label;
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!("{label} is required."));
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "{label} must have at most {MAX_URL_CHARS} characters."
        ));
    }
    let url = url::Url::parse(text)
        .map_err(|e| format!("{label} is not a valid URL ({e}), e.g. {}.", field.example))?;
    if url.fragment().is_some() || (!field.query_allowed && url.query().is_some()) {
        return Err(if field.query_allowed {
            format!("{label} cannot have a fragment (#…).")
        } else {
            format!("{label} cannot have a query (?…) or fragment (#…).")
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{label} cannot contain a user name or password."));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok((text.to_string(), url)),
        "http" if is_loopback(&url) => Ok((text.to_string(), url)),
        "http" => Err(format!(
            "{label} must use https:// (plain http:// only for {} on this machine).",
            field.local
        )),
        _ => Err(format!("{label} must be an https:// address.")),
    }
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
