//! Configuration from the environment (and `.env`), SPEC §6.

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
        let public_url = var("ROSTER_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{site_addr}"))
            .trim_end_matches('/')
            .to_string();
        let host = url::Url::parse(&public_url)
            .map_err(|e| format!("ROSTER_PUBLIC_URL: {e}"))?
            .host_str()
            .unwrap_or("localhost")
            .to_string();
        Ok(Config {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://roster.db?mode=rwc".into()),
            site_addr,
            mail_from: var("ROSTER_MAIL_FROM").unwrap_or_else(|| format!("noreply@{host}")),
            public_url,
            smtp_url: var("ROSTER_SMTP_URL"),
            mail_dir: PathBuf::from(var("ROSTER_MAIL_DIR").unwrap_or_else(|| "mail".into())),
            invite_ttl: duration("ROSTER_INVITE_TTL", "7d")?,
            resend_cooldown: duration("ROSTER_RESEND_COOLDOWN", "15m")?,
        })
    }

    /// Cookies get `Secure` when Roster is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
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
        assert!(c.smtp_url.is_none());
        assert!(!c.secure_cookies());
    }

    #[test]
    fn r22_sender_defaults_to_noreply_at_public_host() {
        let c = config(&[("ROSTER_PUBLIC_URL", "https://roster.example.org/")]).unwrap();
        assert_eq!(c.mail_from, "noreply@roster.example.org");
        assert_eq!(c.public_url, "https://roster.example.org");
        assert!(c.secure_cookies());
    }

    #[test]
    fn bad_durations_are_reported_by_name() {
        let err = config(&[("ROSTER_INVITE_TTL", "forever")]).unwrap_err();
        assert!(err.starts_with("ROSTER_INVITE_TTL"), "{err}");
    }
}
