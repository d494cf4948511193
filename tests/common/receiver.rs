//! A real webhook receiver process (end2end/fixtures/webhook-receiver.mjs):
//! it checks each delivery's signature with node:crypto, independently of
//! Roster's code, and keeps what it received in a file that outlives it.

use serde_json::Value;
use std::{path::PathBuf, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct Receiver {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

/// One delivery as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub event: String,
    pub body: Value,
    pub verified: bool,
}

impl Receiver {
    /// Listens on `port`, verifying with `secret`; the first `fail_first`
    /// good deliveries get 503.
    pub async fn start(port: u16, dir: PathBuf, secret: &str, fail_first: u32) -> Receiver {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/end2end/fixtures/webhook-receiver.mjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
            .args(["--secret", secret, "--fail-first", &fail_first.to_string()])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        assert!(
            matches!(ready, Ok(Ok(Some(ref line))) if line.starts_with("ready")),
            "webhook receiver did not start: {ready:?}"
        );
        Receiver {
            port,
            dir,
            child: Some(child),
        }
    }

    /// An outage: the port refuses connections until started again.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }

    /// Everything received so far, in order, from the file.
    pub fn received(&self) -> Vec<Received> {
        received_in(&self.dir)
    }
}

pub fn url_on(port: u16) -> String {
    format!("http://127.0.0.1:{port}/hooks")
}

pub fn received_in(dir: &std::path::Path) -> Vec<Received> {
    let Ok(text) = std::fs::read_to_string(dir.join("received.jsonl")) else {
        return vec![];
    };
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            Received {
                id: record["id"].as_str().unwrap_or_default().to_string(),
                event: record["type"].as_str().unwrap_or_default().to_string(),
                body: serde_json::from_str(record["body"].as_str().unwrap()).unwrap(),
                verified: record["verified"].as_bool().unwrap(),
            }
        })
        .collect()
}
