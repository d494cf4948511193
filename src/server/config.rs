//! Configuration from the environment (and `.env`), SPEC §6.

use super::{client_ip::TrustedProxies, webhooks::destination::PrivateAddresses};
use crate::domain::duration::parse_duration;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    /// Base of every link we send; never taken from the request's Host header.
    pub public_url: String,
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: String,
    pub invite_ttl: Duration,
    pub resend_cooldown: Duration,
    /// R27: how long a "day" of the reminder schedule lasts (tests shorten it).
    pub reminder_day: Duration,
    /// How often each server looks for reminders that are due.
    pub reminder_every: Duration,
    /// Whether webhooks may go to private networks (never to link-local).
    pub webhook_private_addresses: PrivateAddresses,
    /// Proxies whose `X-Forwarded-For` names the client; nobody by default.
    pub trusted_proxies: TrustedProxies,
    pub limits: Limits,
}

/// Bounds on what clients can make the server do (SPEC §7 "Resources are bounded").
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests per minute one client may make to the public endpoints.
    pub rate_per_client: u32,
    /// Requests per minute to one invitation link, from all clients together.
    pub rate_per_invitation: u32,
    /// Requests per minute with one API token to `/api/v1` (each client
    /// may make twice as many, for two scripts on one machine).
    pub rate_per_api_token: u32,
    /// Argon2 hashes running at once (19 MiB each); more wait briefly, then get 503.
    pub concurrent_hashes: usize,
    /// Time a client has to send a request's headers (also how long an idle
    /// keep-alive connection stays open).
    pub header_timeout: Duration,
    /// Time a client has to send a request's body.
    pub body_timeout: Duration,
    /// A connection whose reads or writes stall this long is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Config {
    /// Reads the variables of SPEC §6; `lookup` is `std::env::var` in production
    /// and a map in tests.
    pub fn from_lookup(
        site_addr: SocketAddr,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let duration = |name: &str, default: &str| {
            let raw = var(name).unwrap_or_else(|| default.to_string());
            parse_duration(&raw).map_err(|e| format!("{name}: {e}"))
        };
        let number = |name: &str, default: usize| -> Result<usize, String> {
            match var(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{name}: “{raw}” is not a positive whole number.")),
            }
        };
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let limits = Limits {
            rate_per_client: number("ROSTER_RATE_LIMIT", 100)? as u32,
            rate_per_invitation: number("ROSTER_INVITE_RATE_LIMIT", 20)? as u32,
            rate_per_api_token: number("ROSTER_API_RATE_LIMIT", 600)? as u32,
            concurrent_hashes: number("ROSTER_MAX_CONCURRENT_HASHES", cpus)?,
            header_timeout: duration("ROSTER_HEADER_TIMEOUT", "10s")?,
            body_timeout: duration("ROSTER_BODY_TIMEOUT", "30s")?,
            idle_timeout: duration("ROSTER_IDLE_TIMEOUT", "60s")?,
            max_connections: number("ROSTER_MAX_CONNECTIONS", 1024)?,
        };
        let trusted_proxies = match var("ROSTER_TRUSTED_PROXIES") {
            None => TrustedProxies::none(),
            Some(raw) => {
                TrustedProxies::parse(&raw).map_err(|e| format!("ROSTER_TRUSTED_PROXIES: {e}"))?
            }
        };
        let public_url = var("ROSTER_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{site_addr}"))
            .trim_end_matches('/')
            .to_string();
        let host = url::Url::parse(&public_url)
            .map_err(|e| format!("ROSTER_PUBLIC_URL: {e}"))?
            .host_str()
            .unwrap_or("localhost")
            .to_string();
        let smtp_url = var("ROSTER_SMTP_URL");
        let mail_from = match var("ROSTER_MAIL_FROM") {
            Some(from) => from.trim().to_string(),
            None => format!("noreply@{host}"),
        };
        check_sender(&mail_from, smtp_url.is_some()).map_err(|why| {
            let default = if var("ROSTER_MAIL_FROM").is_none() {
                " (the default, from the host of ROSTER_PUBLIC_URL)"
            } else {
                ""
            };
            format!("ROSTER_MAIL_FROM: {mail_from}{default} {why}")
        })?;
        Ok(Config {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://roster.db?mode=rwc".into()),
            site_addr,
            mail_from,
            public_url,
            smtp_url,
            mail_dir: PathBuf::from(var("ROSTER_MAIL_DIR").unwrap_or_else(|| "mail".into())),
            invite_ttl: duration("ROSTER_INVITE_TTL", "7d")?,
            resend_cooldown: duration("ROSTER_RESEND_COOLDOWN", "15m")?,
            reminder_day: duration("ROSTER_REMINDER_DAY", "1d")?,
            reminder_every: duration("ROSTER_REMINDER_EVERY", "1m")?,
            webhook_private_addresses: match var("ROSTER_WEBHOOK_PRIVATE_ADDRESSES") {
                None => PrivateAddresses::default(),
                Some(raw) => PrivateAddresses::parse(&raw)
                    .map_err(|e| format!("ROSTER_WEBHOOK_PRIVATE_ADDRESSES: {e}"))?,
            },
            trusted_proxies,
            limits,
        })
    }

    /// Cookies get `Secure` when Roster is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the public URL: what a browser sends as
    /// `Origin` on our own pages.
    pub fn public_origin(&self) -> String {
        url::Url::parse(&self.public_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }
}

/// The sender must be an address; with an SMTP server it must also be at a
/// real domain: mail from an IP address or `localhost` has no DNS records to
/// check (SPF, DKIM, DMARC) and receivers such as Gmail refuse or bin it.
/// Files only (the default) accept such a sender: nothing leaves the machine.
fn check_sender(from: &str, smtp: bool) -> Result<(), String> {
    let address: lettre::Address = from.parse().map_err(|e| {
        format!("is not an email address ({e}); set ROSTER_MAIL_FROM to e.g. roster@example.org")
    })?;
    if !smtp {
        return Ok(());
    }
    let domain = address.domain().trim_end_matches('.').to_ascii_lowercase();
    let literal = domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .map(|d| d.strip_prefix("ipv6:").unwrap_or(d));
    let what = if literal.is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        || domain.parse::<std::net::IpAddr>().is_ok()
    {
        "an IP address"
    } else if literal.is_some() {
        "an address literal"
    } else if domain == "localhost" || domain.ends_with(".localhost") {
        "localhost"
    } else {
        return Ok(());
    };
    Err(format!(
        "cannot be used with an SMTP server: its domain is {what}; \
         set ROSTER_MAIL_FROM to an address at your domain"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup("127.0.0.1:3000".parse().unwrap(), |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://roster.db?mode=rwc");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.mail_from, "noreply@127.0.0.1");
        assert_eq!(c.invite_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(c.resend_cooldown, Duration::from_secs(900));
        assert_eq!(c.reminder_day, Duration::from_secs(86_400));
        assert_eq!(c.reminder_every, Duration::from_secs(60));
        assert_eq!(c.webhook_private_addresses, PrivateAddresses::Refused);
        assert_eq!(c.limits.rate_per_api_token, 600);
        assert!(c.smtp_url.is_none());
        assert!(!c.secure_cookies());
    }

    #[test]
    fn webhooks_reach_private_networks_only_when_allowed() {
        let c = config(&[("ROSTER_WEBHOOK_PRIVATE_ADDRESSES", "allow")]).unwrap();
        assert_eq!(c.webhook_private_addresses, PrivateAddresses::Allowed);
        let refused = config(&[("ROSTER_WEBHOOK_PRIVATE_ADDRESSES", "sometimes")]);
        assert!(refused
            .unwrap_err()
            .starts_with("ROSTER_WEBHOOK_PRIVATE_ADDRESSES:"));
    }

    #[test]
    fn r22_sender_defaults_to_noreply_at_public_host() {
        let c = config(&[("ROSTER_PUBLIC_URL", "https://roster.example.org/")]).unwrap();
        assert_eq!(c.mail_from, "noreply@roster.example.org");
        assert_eq!(c.public_url, "https://roster.example.org");
        assert!(c.secure_cookies());
    }

    #[test]
    fn r22_sender_at_an_ip_or_localhost_is_refused_with_smtp() {
        let smtp = ("ROSTER_SMTP_URL", "smtp://127.0.0.1:2525");
        // The default sender of the default public URL.
        let err = config(&[smtp]).unwrap_err();
        assert!(
            err.starts_with("ROSTER_MAIL_FROM: noreply@127.0.0.1 (the default")
                && err.contains("cannot be used with an SMTP server: its domain is an IP address")
                && err.contains("set ROSTER_MAIL_FROM to an address at your domain"),
            "{err}"
        );
        for (from, what) in [
            ("roster@10.0.0.7", "an IP address"),
            ("roster@[192.168.1.2]", "an IP address"),
            ("roster@[IPv6:::1]", "an IP address"),
            ("roster@[::1]", "an IP address"),
            ("roster@localhost", "localhost"),
            ("roster@LocalHost", "localhost"),
            ("roster@app.localhost", "localhost"),
        ] {
            let Err(err) = config(&[smtp, ("ROSTER_MAIL_FROM", from)]) else {
                panic!("{from} is accepted with SMTP");
            };
            assert!(
                err.starts_with(&format!("ROSTER_MAIL_FROM: {from} cannot be used"))
                    && err.contains(&format!("its domain is {what};")),
                "{from}: {err}"
            );
        }
        // An IPv6 public URL gives a bracketed default sender, refused too.
        let err = config(&[smtp, ("ROSTER_PUBLIC_URL", "http://[::1]:3000")]).unwrap_err();
        assert!(err.contains("its domain is an IP address"), "{err}");
    }

    #[test]
    fn r22_sender_at_a_domain_is_accepted_with_smtp() {
        let smtp = ("ROSTER_SMTP_URL", "smtp://127.0.0.1:2525");
        let c = config(&[smtp, ("ROSTER_MAIL_FROM", "roster@roster.test")]).unwrap();
        assert_eq!(c.mail_from, "roster@roster.test");
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
        // Names that merely contain "localhost" or digits are domains.
        for from in [
            "a@notlocalhost.example",
            "a@localhost.example.org",
            "a@1.2.3.example",
        ] {
            assert!(
                config(&[smtp, ("ROSTER_MAIL_FROM", from)]).is_ok(),
                "{from}"
            );
        }
        let c = config(&[smtp, ("ROSTER_PUBLIC_URL", "https://roster.example.org")]).unwrap();
        assert_eq!(c.mail_from, "noreply@roster.example.org");
    }

    #[test]
    fn r22_without_smtp_any_sender_address_is_allowed() {
        assert_eq!(config(&[]).unwrap().mail_from, "noreply@127.0.0.1");
        let c = config(&[("ROSTER_PUBLIC_URL", "http://[::1]:3000")]).unwrap();
        assert_eq!(c.mail_from, "noreply@[::1]");
        let c = config(&[("ROSTER_MAIL_FROM", "roster@localhost")]).unwrap();
        assert_eq!(c.mail_from, "roster@localhost");
    }

    #[test]
    fn r22_sender_must_be_an_address() {
        for from in ["roster", "Roster <roster@example.org>", "a@b@c"] {
            let Err(err) = config(&[("ROSTER_MAIL_FROM", from)]) else {
                panic!("{from} is accepted");
            };
            assert!(
                err.starts_with(&format!("ROSTER_MAIL_FROM: {from} is not an email address")),
                "{err}"
            );
        }
    }

    #[test]
    fn public_origin_drops_the_path_and_default_port() {
        let c = config(&[("ROSTER_PUBLIC_URL", "https://roster.example.org:443/base/")]).unwrap();
        assert_eq!(c.public_origin(), "https://roster.example.org");
        assert_eq!(
            config(&[]).unwrap().public_origin(),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn limits_have_defaults_and_refuse_nonsense() {
        let c = config(&[]).unwrap();
        assert_eq!(c.limits.rate_per_client, 100);
        assert_eq!(c.limits.header_timeout, Duration::from_secs(10));
        assert!(
            c.trusted_proxies.is_empty(),
            "no proxy is trusted by default"
        );
        let err = config(&[("ROSTER_RATE_LIMIT", "0")]).unwrap_err();
        assert!(err.starts_with("ROSTER_RATE_LIMIT"), "{err}");
        let err = config(&[("ROSTER_TRUSTED_PROXIES", "not-an-ip")]).unwrap_err();
        assert!(err.starts_with("ROSTER_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn bad_durations_are_reported_by_name() {
        let err = config(&[("ROSTER_INVITE_TTL", "forever")]).unwrap_err();
        assert!(err.starts_with("ROSTER_INVITE_TTL"), "{err}");
    }
}
