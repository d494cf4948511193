//! A real OpenID provider process (npm `oidc-provider`, see
//! end2end/oidc/provider.mjs) on loopback, with one confidential client and
//! test accounts whose claims are known:
//!
//! | login        | sub              | email                      | email_verified |
//! |--------------|------------------|----------------------------|----------------|
//! | `match`      | `sub-match`      | [`OidcProvider::match_email`] | true        |
//! | `other`      | `sub-other`      | `someone.else@example.com` | true           |
//! | `unverified` | `sub-unverified` | [`OidcProvider::match_email`] | false       |
//!
//! plus any [`OidcOptions::accounts`]. [`OidcProvider::sign_in`] plays the
//! user at the provider's login form over HTTP, without a browser.

use super::smtp::free_port;
use reqwest::{redirect::Policy, Client, StatusCode, Url};
use std::{process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, as in the ID token's `iss`.
    pub issuer: String,
    pub port: u16,
    pub client_id: String,
    pub client_secret: String,
    /// The email of the `match` and `unverified` accounts.
    pub match_email: String,
    pub redirect_uris: Vec<String>,
    child: Option<Child>,
}

/// An extra account: login `login`, sub `sub-<login>`, name = login.
#[derive(Clone, Debug)]
pub struct OidcAccount {
    pub login: String,
    pub email: String,
    pub email_verified: bool,
}

#[derive(Clone, Debug)]
pub struct OidcOptions {
    pub client_id: String,
    pub client_secret: String,
    pub match_email: String,
    pub accounts: Vec<OidcAccount>,
    /// The ID token's lifetime (exp - iat), whole seconds; default 1 hour.
    pub id_token_ttl: Duration,
}

impl Default for OidcOptions {
    fn default() -> Self {
        OidcOptions {
            client_id: "roster".into(),
            client_secret: format!("secret-{}", uuid::Uuid::new_v4().simple()),
            match_email: "sso.match@example.com".into(),
            accounts: Vec::new(),
            id_token_ttl: Duration::from_secs(3600),
        }
    }
}

impl OidcProvider {
    /// Starts the provider on a free port with the default options: client
    /// `roster`, a random secret, and `redirect_uris` registered.
    pub async fn start(redirect_uris: &[String]) -> OidcProvider {
        OidcProvider::start_with(redirect_uris, OidcOptions::default()).await
    }

    pub async fn start_with(redirect_uris: &[String], options: OidcOptions) -> OidcProvider {
        assert!(!redirect_uris.is_empty(), "the client needs a redirect URI");
        let port = free_port();
        let mut command = Command::new("node");
        command
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/end2end/oidc/provider.mjs"
            ))
            .args(["--port", &port.to_string()])
            .args(["--client-id", &options.client_id])
            .args(["--client-secret", &options.client_secret])
            .args(["--match-email", &options.match_email])
            .args([
                "--id-token-ttl",
                &options.id_token_ttl.as_secs().to_string(),
            ]);
        for uri in redirect_uris {
            command.args(["--redirect-uri", uri]);
        }
        for a in &options.accounts {
            command.args([
                "--account",
                &format!("{}:{}:{}", a.login, a.email, a.email_verified),
            ]);
        }
        let mut child = command
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/end2end"))
            .stdout(Stdio::piped())
            .kill_on_drop(true) // stops with the test
            .spawn()
            .expect("start node (scripts/setup.sh installs the oidc-provider package)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            // oidc-provider may print NOTICE lines first.
            while let Some(line) = lines.next_line().await? {
                if let Some(issuer) = line.strip_prefix("ready ") {
                    return Ok(Some(issuer.to_string()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await;
        let issuer = match ready {
            Ok(Ok(Some(issuer))) => issuer,
            other => panic!("OpenID provider did not start: {other:?}"),
        };
        // Keep reading stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        OidcProvider {
            issuer,
            port,
            client_id: options.client_id,
            client_secret: options.client_secret,
            match_email: options.match_email,
            redirect_uris: redirect_uris.to_vec(),
            child: Some(child),
        }
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Plays the user at the provider: opens `authorization_url` (where our
    /// app sent the browser), submits the login form as `login` and follows
    /// the provider's redirects up to the first one that leaves for a
    /// registered redirect URI. Returns that URL: our callback with `code`
    /// and `state`, or `error` if the provider refused the request. Panics if
    /// the provider shows an error page or does not know `login`.
    pub async fn sign_in(&self, authorization_url: &str, login: &str) -> String {
        self.interact(authorization_url, Some(login))
            .await
            .unwrap_or_else(|e| panic!("signing in as {login:?} at the provider: {e}"))
    }

    /// As [`sign_in`](Self::sign_in), but presses Cancel: the callback URL
    /// then carries `error=access_denied`.
    pub async fn cancel(&self, authorization_url: &str) -> String {
        self.interact(authorization_url, None)
            .await
            .unwrap_or_else(|e| panic!("cancelling at the provider: {e}"))
    }

    /// Like a browser with its own cookies, minus the automatic redirects.
    async fn interact(
        &self,
        authorization_url: &str,
        login: Option<&str>,
    ) -> Result<String, String> {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let issuer = Url::parse(&self.issuer).unwrap();
        let mut url =
            Url::parse(authorization_url).map_err(|e| format!("{authorization_url}: {e}"))?;
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let mut submitted = false;
        for _ in 0..10 {
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| format!("{status} without Location from {url}"))?;
                url = url.join(location).map_err(|e| format!("{location}: {e}"))?;
                if self.is_redirect_uri(&url) {
                    return Ok(url.to_string());
                }
                if url.origin() != issuer.origin() {
                    return Err(format!("redirected away, not to a redirect URI: {url}"));
                }
                response = client
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
            } else if status == StatusCode::OK && !submitted {
                let page = response.text().await.map_err(|e| e.to_string())?;
                let action = form_action(&page, if login.is_some() { "/login" } else { "/abort" })
                    .ok_or_else(|| format!("no login form at {url}: {page}"))?;
                url = url.join(&action).map_err(|e| format!("{action}: {e}"))?;
                let form: &[(&str, &str)] = match login {
                    Some(login) => &[("login", login)],
                    None => &[],
                };
                response = client
                    .post(url.clone())
                    .form(form)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                submitted = true;
            } else {
                let page = response.text().await.unwrap_or_default();
                return Err(format!("{url} answered {status}: {}", text_of(&page)));
            }
        }
        Err(format!("too many redirects, last at {url}"))
    }

    fn is_redirect_uri(&self, url: &Url) -> bool {
        let mut bare = url.clone();
        bare.set_query(None);
        bare.set_fragment(None);
        self.redirect_uris
            .iter()
            .any(|r| Url::parse(r).is_ok_and(|r| r == bare))
    }
}

/// The `action` of the form whose action ends with `suffix`.
fn form_action(page: &str, suffix: &str) -> Option<String> {
    page.match_indices("action=\"")
        .map(|(i, m)| &page[i + m.len()..])
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with(suffix))
        .map(str::to_string)
}

/// An error page made short enough for a panic message: its text, without
/// tags or style sheet.
fn text_of(page: &str) -> String {
    let mut text = String::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = if rest.starts_with("<style") {
            rest.find("</style>").map(|i| i + "</style>".len())
        } else {
            rest.find('>').map(|i| i + 1)
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(600).collect()
}
