//! Step 6, faults: Postgres restarted under load. A private Postgres instance
//! (never the shared test cluster, which other tests use) serves one Roster
//! while eight signed-in clients keep listing users, loading the Users page
//! and polling /healthz. Postgres is stopped for a few seconds, then started
//! again. During the outage every request answers within a bound, with a
//! clean refusal (503, no database text); afterwards the same process, never
//! restarted, answers everything again, and an invitation is written, read
//! back and emailed.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::Backend;
use http_app::{spawn_app, Answer, TestApp, Who};
use roster::domain::{invitations::UserQuery, AppError};
use serde_json::{json, Value};
use std::{
    os::unix::fs::MetadataExt,
    path::PathBuf,
    process::{Command, Output},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

/// Clients hammering the app.
const CLIENTS: usize = 8;
/// Load before the outage.
const WARM_UP: Duration = Duration::from_secs(2);
/// How long Postgres stays down: longer than `PROMPT`, so a request held
/// until Postgres returns is caught.
const OUTAGE: Duration = Duration::from_secs(12);
/// Every answer, during the outage too, comes within this: the app waits
/// 5 s for a connection, and a request caught by the stop between two of
/// its queries (its session, then its page) can wait twice.
const PROMPT: Duration = Duration::from_secs(11);
/// A request still unanswered after this counts as a hang.
const HANG: Duration = Duration::from_secs(20);
/// After Postgres is back, every kind of request is served again within this...
const RECOVERY: Duration = Duration::from_secs(5);
/// ... and nothing is refused for at least this long.
const STEADY: Duration = Duration::from_secs(2);

/// Texts of database and I/O errors that must never reach a client.
const LEAKS: &[&str] = &[
    "error returned from database",
    "connection refused",
    "sqlx",
    "pooltimedout",
    "pool timed out",
    "os error",
    "sqlstate",
    "terminating connection",
    "panicked",
];

// ---------------------------------------------------------------------------
// A private Postgres instance.

/// The tools of one Postgres instance: a data directory of its own in a
/// temporary directory, a free loopback port, trust authentication.
#[derive(Clone)]
struct Instance {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    /// initdb refuses root: as root, the tools run as the `postgres` user.
    as_postgres_user: bool,
}

/// The running instance; stopped (immediately) and removed on drop, panics included.
struct PrivatePostgres(Instance);

impl PrivatePostgres {
    /// Creates and starts an instance of the newest installed Postgres;
    /// `None` if Postgres is not installed.
    fn start() -> Option<Self> {
        let bin = newest_postgres()?;
        let as_postgres_user = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        let root =
            std::env::temp_dir().join(format!("roster-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("create the instance's directory");
        // From here on, the directory is removed whatever happens.
        let pg = PrivatePostgres(Instance {
            bin,
            root,
            port: common::smtp::free_port(),
            as_postgres_user,
        });
        if as_postgres_user {
            let chown = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&pg.0.root)
                .output()
                .expect("run chown");
            assert!(chown.status.success(), "chown: {chown:?}");
        }
        let initdb = pg.0.run(
            "initdb",
            &[
                "-D",
                pg.0.data().to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(initdb.status.success(), "initdb failed: {initdb:?}");
        pg.0.start_server();
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.0.port)
    }

    /// `pg_ctl stop -m fast`: open connections are terminated at once.
    async fn stop(&self) {
        let instance = self.0.clone();
        let stopped = tokio::task::spawn_blocking(move || instance.stop_server("fast"))
            .await
            .unwrap();
        assert!(stopped.status.success(), "pg_ctl stop: {stopped:?}");
    }

    async fn start_again(&self) {
        let instance = self.0.clone();
        tokio::task::spawn_blocking(move || instance.start_server())
            .await
            .unwrap();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.0.data().join("postmaster.pid").exists() {
            let _ = self.0.stop_server("immediate");
        }
        let _ = std::fs::remove_dir_all(&self.0.root);
    }
}

/// `/usr/lib/postgresql/<newest version>/bin`, if it has the tools.
fn newest_postgres() -> Option<PathBuf> {
    let mut versions: Vec<(f64, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<f64>().ok()?;
            let bin = entry.path().join("bin");
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|tool| bin.join(tool).exists())
                .then_some((version, bin))
        })
        .collect();
    versions.sort_by(|a, b| a.0.total_cmp(&b.0));
    versions.pop().map(|(_, bin)| bin)
}

impl Instance {
    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Runs one of the instance's tools (as `postgres` when we are root).
    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let path = self.bin.join(tool);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command
            .args(args)
            .current_dir(&self.root)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", path.display()))
    }

    /// Starts the server and waits until it accepts connections.
    fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.root.display()
        );
        let log = self.root.join("postgres.log");
        let started = self.run(
            "pg_ctl",
            &[
                "start",
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "30",
                "-o",
                &options,
            ],
        );
        assert!(
            started.status.success(),
            "pg_ctl start failed: {started:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// `mode`: smart, fast or immediate.
    fn stop_server(&self, mode: &str) -> Output {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "stop",
                "-D",
                data.to_str().unwrap(),
                "-m",
                mode,
                "-w",
                "-t",
                "30",
            ],
        )
    }
}

// ---------------------------------------------------------------------------
// The load.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `list_users`, the Users page's server function.
    ListUsers,
    /// The Users page, rendered on the server.
    UsersPage,
    Healthz,
}

const KINDS: [Kind; 3] = [Kind::ListUsers, Kind::UsersPage, Kind::Healthz];
/// What each of the `CLIENTS` clients asks for, over and over.
const CLIENT_KINDS: [Kind; CLIENTS] = [
    Kind::ListUsers,
    Kind::ListUsers,
    Kind::ListUsers,
    Kind::UsersPage,
    Kind::UsersPage,
    Kind::UsersPage,
    Kind::Healthz,
    Kind::Healthz,
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// What was asked for: the list, the page with its rows, "ok".
    Served,
    /// Told to come back later, in the app's words.
    Refused(String),
    /// Anything else: no answer, a 500, database text, an unexpected page.
    Bad(String),
}

/// One request and how it went, times since the test's start.
#[derive(Debug, Clone)]
struct Sample {
    kind: Kind,
    started: Duration,
    took: Duration,
    outcome: Outcome,
}

impl Sample {
    fn ended(&self) -> Duration {
        self.started + self.took
    }

    fn served(&self) -> bool {
        self.outcome == Outcome::Served
    }
}

async fn one_request(app: &TestApp, client: &reqwest::Client, kind: Kind) -> Answer {
    match kind {
        Kind::ListUsers => {
            app.post_json(
                client,
                "/api/list_users",
                &json!({ "query": UserQuery::default() }),
            )
            .await
        }
        Kind::UsersPage => app.get(client, "/manage/settings/users").await,
        Kind::Healthz => app.get(client, "/healthz").await,
    }
}

/// Sorts an answer into served, cleanly refused, or bad.
fn judge(kind: Kind, answer: &Answer) -> Outcome {
    let lower = answer.body.to_lowercase();
    if let Some(leak) = LEAKS.iter().find(|leak| lower.contains(*leak)) {
        return Outcome::Bad(format!("database text {leak:?} reached the client"));
    }
    let unavailable = AppError::Unavailable.to_string();
    let said = |what: &str| format!("{} {what}", answer.status);
    match (kind, answer.status) {
        (Kind::ListUsers, 200) => Outcome::Served,
        (Kind::ListUsers, 503) => match (answer.error(), answer.header("retry-after")) {
            (Some(AppError::Unavailable), Some(_)) => Outcome::Refused(said("Unavailable")),
            other => Outcome::Bad(format!(
                "503 without Unavailable and Retry-After: {other:?}"
            )),
        },
        (Kind::Healthz, 200) if answer.body == "ok" => Outcome::Served,
        (Kind::Healthz, 503) => Outcome::Refused(said(&answer.body)),
        // The page streams: its status is sent before the list fails, so a
        // failure is in the page, in the app's words.
        (Kind::UsersPage, 200) if answer.body.contains(&unavailable) => {
            Outcome::Refused(said("page saying the database is unavailable"))
        }
        (Kind::UsersPage, 200) if answer.body.contains("olive@acme.test") => Outcome::Served,
        (Kind::UsersPage, status) => {
            let shown = [AppError::Internal, AppError::Unauthenticated]
                .iter()
                .map(AppError::to_string)
                .find(|text| answer.body.contains(text.as_str()));
            Outcome::Bad(match shown {
                Some(text) => format!("{status} page saying {text:?}"),
                None => format!("{status} page without the users"),
            })
        }
        (_, status) => Outcome::Bad(format!(
            "unexpected answer {status}: {}",
            answer.body.chars().take(300).collect::<String>()
        )),
    }
}

/// A client asking for `kind` until `running` drops.
async fn hammer(
    app: Arc<TestApp>,
    kind: Kind,
    t0: Instant,
    running: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
) {
    let client = app.client(Who::OrgManager);
    while running.load(Ordering::Relaxed) {
        let started = t0.elapsed();
        let answer = tokio::time::timeout(HANG, one_request(&app, &client, kind)).await;
        let took = t0.elapsed() - started;
        let outcome = match answer {
            Ok(answer) => judge(kind, &answer),
            Err(_) => Outcome::Bad(format!("no answer within {HANG:?}")),
        };
        samples.lock().unwrap().push(Sample {
            kind,
            started,
            took,
            outcome,
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(durations: &mut [Duration], p: f64) -> Duration {
    if durations.is_empty() {
        return Duration::ZERO;
    }
    durations.sort();
    durations[((durations.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn postgres_restarted_under_load_fails_cleanly_and_recovers() {
    let Some(pg) = PrivatePostgres::start() else {
        eprintln!(
            "SKIPPED pg_restart: no Postgres under /usr/lib/postgresql \
             (scripts/setup.sh --test installs it)"
        );
        return;
    };
    // The harness makes the app's database on the server this names; set
    // before any thread that could read the environment exists.
    std::env::set_var("ROSTER_TEST_PG_URL", pg.url());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(restart_under_load(&pg));
    // The app goes before its database.
    drop(runtime);
    drop(pg);
}

async fn restart_under_load(pg: &PrivatePostgres) {
    let app = Arc::new(spawn_app(Backend::Postgres).await);
    let t0 = Instant::now();
    let running = Arc::new(AtomicBool::new(true));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let clients: Vec<_> = CLIENT_KINDS
        .iter()
        .map(|kind| {
            tokio::spawn(hammer(
                app.clone(),
                *kind,
                t0,
                running.clone(),
                samples.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(WARM_UP).await;
    let stopping = t0.elapsed();
    pg.stop().await;
    let down = t0.elapsed();
    tokio::time::sleep(OUTAGE).await;
    let starting = t0.elapsed();
    pg.start_again().await;
    let up = t0.elapsed();

    // Load goes on until every kind has been served with nothing refused
    // for STEADY (or until it is clear that will not happen).
    let deadline = up + RECOVERY + STEADY + HANG;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = t0.elapsed();
        let steady = {
            let samples = samples.lock().unwrap();
            let last_refusal = last_refusal(&samples).max(up);
            now >= last_refusal + STEADY
                && KINDS.iter().all(|kind| {
                    samples
                        .iter()
                        .any(|s| s.kind == *kind && s.served() && s.started > last_refusal)
                })
        };
        if steady || now > deadline {
            break;
        }
    }
    running.store(false, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let samples = samples.lock().unwrap().clone();

    // What happened, for the log.
    eprintln!(
        "Postgres stopping at {stopping:.2?}, down at {down:.2?}, starting at {starting:.2?}, \
         up at {up:.2?}; {} requests by {CLIENTS} clients",
        samples.len()
    );
    // Requests in flight while Postgres went down or was down.
    let outage: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.started < starting && s.ended() > stopping)
        .collect();
    let first_served_after = |kind: Kind, after: Duration| {
        samples
            .iter()
            .filter(|s| s.kind == kind && s.served() && s.started >= after)
            .map(Sample::ended)
            .min()
    };
    for kind in KINDS {
        let of_kind: Vec<&&Sample> = outage.iter().filter(|s| s.kind == kind).collect();
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        for s in &of_kind {
            let name = match &s.outcome {
                Outcome::Served => "served".to_string(),
                Outcome::Refused(how) | Outcome::Bad(how) => how.clone(),
            };
            *outcomes.entry(name).or_default() += 1;
        }
        let mut took: Vec<Duration> = of_kind.iter().map(|s| s.took).collect();
        eprintln!(
            "{kind:?}, in flight during the outage: {} requests, {outcomes:?}, \
             took median {:.2?}, max {:.2?}; served again {:.2?} after Postgres was up",
            of_kind.len(),
            percentile(&mut took, 0.5),
            percentile(&mut took, 1.0),
            first_served_after(kind, up).map(|t| t - up),
        );
    }
    let last = last_refusal(&samples);
    eprintln!(
        "last refusal answered {:.2?} {} Postgres was up",
        last.abs_diff(up),
        if last > up { "after" } else { "before" }
    );

    // Nothing hung, nothing leaked, nothing failed other than cleanly, at any time.
    for s in &samples {
        if let Outcome::Bad(why) = &s.outcome {
            panic!("{why}: {s:?}");
        }
        assert!(
            s.took <= PROMPT,
            "a request took {:.1?} (bound {PROMPT:?}): {s:?}",
            s.took
        );
    }
    // Before the outage, everything was served.
    let before: Vec<&Sample> = samples.iter().filter(|s| s.ended() < stopping).collect();
    assert!(!before.is_empty(), "no requests before the outage");
    if let Some(refused) = before.iter().find(|s| !s.served()) {
        panic!("refused before the outage: {refused:?}");
    }
    // Each kind of request was refused while Postgres was down (not held
    // until it came back); the first second is left out, as requests in
    // flight at the stop fail at once and /healthz reuses an answer for 1 s.
    for kind in KINDS {
        assert!(
            samples.iter().any(|s| s.kind == kind
                && !s.served()
                && s.ended() > down + Duration::from_secs(1)
                && s.ended() < starting),
            "no {kind:?} request was refused while Postgres was down"
        );
    }

    // It came back by itself, without restarting Roster: nothing refused
    // for long after Postgres was up, and every kind served soon.
    assert!(
        last <= up + RECOVERY,
        "refusals went on {:.1?} after Postgres was up (bound {RECOVERY:?})",
        last - up
    );
    for kind in KINDS {
        let served = first_served_after(kind, last.max(up));
        assert!(
            served.is_some_and(|t| t <= up + RECOVERY + STEADY),
            "{kind:?} not served again after Postgres was up (first at {served:?})"
        );
    }

    // A write goes through, is read back over HTTP and from the database,
    // and its email leaves (the outbox worker recovered too).
    let email = "after-restart@acme.test";
    let invited: Value = app
        .invite_as(Who::OrgManager, email, Some(&app.blue))
        .await
        .ok()
        .json();
    let olive = app.client(Who::OrgManager);
    let query = UserQuery {
        search: email.to_string(),
        ..UserQuery::default()
    };
    let listed: Value = app
        .post_json(&olive, "/api/list_users", &json!({ "query": query }))
        .await
        .ok()
        .json();
    assert_eq!(listed["total"], 1, "the invitee is listed: {listed}");
    assert_eq!(listed["rows"][0]["id"], invited["user_id"]);
    let stored: (String,) = sqlx::query_as("SELECT status FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .expect("the invitee is in the database");
    assert_eq!(stored.0, "invited");
    let messages = app.smtp.wait_for(3, Duration::from_secs(15)).await;
    assert!(
        messages.iter().any(|m| m.contains(email)),
        "the invitation email was not sent after the restart ({} messages)",
        messages.len()
    );
}

/// When the last answer that was not served came (zero if none).
fn last_refusal(samples: &[Sample]) -> Duration {
    samples
        .iter()
        .filter(|s| !s.served())
        .map(Sample::ended)
        .max()
        .unwrap_or_default()
}
