//! Operational faults: a full disk and a read-only data directory. Writes answer 503 `unavailable` with the JSON
//! body, reads keep working, nothing acknowledged is lost, and writes work again once the fault is gone. Needs
//! root to mount a small tmpfs; without it the tests say so and pass vacuously (CI runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::Process;

const TOKEN: &str = "storage-faults-operator-token";

/// A tmpfs of `size` mounted on a temp dir, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("SKIP: cannot mount a tmpfs here (not root?); storage-fault tests not run");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(process: &Process) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            runtime,
            http: reqwest::Client::new(),
            base: process.url(""),
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut request = self
                .http
                .request(method, format!("{}{path}", self.base))
                .header("Authorization", format!("Token {TOKEN}"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    fn create(&self, org: &str) -> (u16, Value) {
        let body =
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]});
        self.call(reqwest::Method::POST, "/api/v2/authorizations", Some(body))
    }

    fn ids(&self) -> Vec<String> {
        let (status, list) = self.call(reqwest::Method::GET, "/api/v2/authorizations", None);
        assert_eq!(status, 200, "reads must keep working: {list}");
        list["authorizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn org(&self) -> String {
        let (_, orgs) = self.call(reqwest::Method::GET, "/api/v2/orgs", None);
        orgs["orgs"][0]["id"].as_str().unwrap().to_owned()
    }
}

fn start(db: &Path, log: &Path) -> Process {
    let envs = [
        ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
        ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
        ("DOCKER_INFLUXDB_INIT_ORG", "org"),
        ("DOCKER_INFLUXDB_INIT_BUCKET", "bucket"),
        ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", TOKEN),
    ];
    Process::start(&["--db-path", db.to_str().unwrap()], &envs, log)
}

fn assert_unavailable(status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "unavailable", "{body}");
}

/// Retries a create until it succeeds (the server reopens the file at most once a second).
fn create_until_ok(client: &Client, org: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = client.create(org);
        if status == 201 {
            return body["id"].as_str().unwrap().to_owned();
        }
        assert_unavailable(status, &body);
        assert!(Instant::now() < deadline, "writes did not come back");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers() {
    tests::redb_only!("a full disk under the redb file (PostgreSQL faults: tests/replicas)");
    let Some(disk) = SmallDisk::mount("400k") else { return };
    let logs = tempfile::tempdir().unwrap();
    let db: PathBuf = disk.path().join("influx-authz.redb");
    let server = start(&db, &logs.path().join("log"));
    let client = Client::new(&server);
    let org = client.org();

    let mut acknowledged = Vec::new();
    let mut refused = None;
    for _ in 0..5000 {
        let (status, body) = client.create(&org);
        if status == 201 {
            acknowledged.push(body["id"].as_str().unwrap().to_owned());
        } else {
            refused = Some((status, body));
            break;
        }
    }
    let (status, body) = refused.expect("the disk never filled up");
    assert_unavailable(status, &body);
    // Reads keep working, and everything acknowledged is there.
    let listed = client.ids();
    assert!(acknowledged.iter().all(|id| listed.contains(id)));
    let (status, body) = client.create(&org);
    assert_unavailable(status, &body);

    disk.remount("size=20m");
    let after = create_until_ok(&client, &org);
    let listed = client.ids();
    assert!(acknowledged.iter().chain([&after]).all(|id| listed.contains(id)));

    // And all of it survives a restart.
    assert!(server.terminate().success());
    let server = start(&db, &logs.path().join("log2"));
    let client = Client::new(&server);
    let listed = client.ids();
    assert!(acknowledged.iter().chain([&after]).all(|id| listed.contains(id)));
}

#[test]
fn a_read_only_data_directory_serves_reads_refuses_writes_with_503_and_recovers() {
    tests::redb_only!("a read-only directory under the redb file (PostgreSQL faults: tests/replicas)");
    let Some(disk) = SmallDisk::mount("20m") else { return };
    let logs = tempfile::tempdir().unwrap();
    let db = disk.path().join("influx-authz.redb");
    let server = start(&db, &logs.path().join("log"));
    let client = Client::new(&server);
    let org = client.org();
    let (status, kept) = client.create(&org);
    assert_eq!(status, 201);
    let kept = kept["id"].as_str().unwrap().to_owned();
    assert!(server.terminate().success());

    // The directory turns read-only (a remount needs the file closed, hence the restart).
    disk.remount("ro");
    let server = start(&db, &logs.path().join("log2"));
    let client = Client::new(&server);
    let (status, body) = client.create(&org);
    assert_unavailable(status, &body);
    let path = format!("/api/v2/authorizations/{kept}");
    let (status, body) = client.call(reqwest::Method::PATCH, &path, Some(json!({"description": "x"})));
    assert_unavailable(status, &body);
    assert!(client.ids().contains(&kept));
    let (status, found) = client.call(reqwest::Method::GET, &path, None);
    assert_eq!(status, 200);
    assert_eq!(found["description"], "", "a refused write changed the record");
    // The operator token still authenticates: the token index is readable.
    let (status, _) = client.call(reqwest::Method::GET, "/api/v2/me", None);
    assert_eq!(status, 200);

    disk.remount("rw");
    let after = create_until_ok(&client, &org);
    let listed = client.ids();
    assert!(listed.contains(&after) && listed.contains(&kept));
}
