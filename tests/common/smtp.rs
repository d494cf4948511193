//! A real SMTP server process (npm `smtp-server`, see
//! end2end/fixtures/smtp-sink.mjs) that writes what it receives to a folder.

use std::{path::PathBuf, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub async fn start(port: u16, dir: PathBuf) -> SmtpSink {
        SmtpSink::start_with_reply_delay(port, dir, 0).await
    }

    /// A slow server: each message is stored at once, its 250 reply comes
    /// `delay_ms` later.
    pub async fn start_with_reply_delay(port: u16, dir: PathBuf, delay_ms: u64) -> SmtpSink {
        SmtpSink::spawn(port, dir, delay_ms, &[]).await
    }

    /// A refusing server: the Nth message offered gets `codes[N-1]` (4xx:
    /// try again later, 5xx: never) and is not stored; later ones are
    /// accepted. The reply reads e.g. "451 Try again later (message 1)".
    pub async fn start_refusing(port: u16, dir: PathBuf, codes: &[u16]) -> SmtpSink {
        SmtpSink::spawn(port, dir, 0, codes).await
    }

    async fn spawn(port: u16, dir: PathBuf, delay_ms: u64, refuse: &[u16]) -> SmtpSink {
        let refuse: Vec<String> = refuse.iter().map(u16::to_string).collect();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/end2end/fixtures/smtp-sink.mjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
            .args(["--reply-delay-ms", &delay_ms.to_string()])
            .args(["--refuse", &refuse.join(",")])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/end2end"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node (scripts/setup.sh installs the SMTP server package)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        assert!(
            matches!(ready, Ok(Ok(Some(ref line))) if line.starts_with("ready")),
            "SMTP sink did not start: {ready:?}"
        );
        SmtpSink {
            port,
            dir,
            child: Some(child),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let mut paths: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || tokio::time::Instant::now() > deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Decodes a raw message's text part enough to find the invitation link:
/// lettre writes quoted-printable for long lines, so soft line breaks and
/// `=3D` are undone.
pub fn invitation_link(raw: &str) -> String {
    let unfolded = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    unfolded
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|w| w.contains("/invite/"))
        .expect("an invitation link in the message")
        .to_string()
}
