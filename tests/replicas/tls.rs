//! TLS to PostgreSQL: a cluster that takes only TLS connections, with a certificate the test makes (its own CA,
//! `localhost` and 127.0.0.1); `sslmode=require` and `verify-full` with the CA file work, a wrong CA is refused
//! at start with one clear line, and a plain connection is refused by the cluster (so the others did use TLS).

use std::path::Path;
use std::process::Command;

use reqwest::Client;
use tempfile::TempDir;
use tests::pg::Cluster;
use tests::{OPERATOR_TOKEN, binary, free_port};

use super::{get, start_one};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.pem`), a server certificate it signed (`server.pem`, `server.key`) and an unrelated CA (`other.pem`).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=influx-authz test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-days",
            "2",
            "-subj",
            "/CN=some other CA",
        ],
    );
}

/// A cluster that takes TLS connections only: `(cluster, CA file, wrong CA file)`.
fn tls_cluster() -> Option<(Cluster, String, String)> {
    let certs = TempDir::new().unwrap();
    certificates(certs.path());
    // The server's key must belong to the user PostgreSQL runs as, and be private.
    let dir = TempDir::new().unwrap();
    for file in ["server.pem", "server.key"] {
        std::fs::copy(certs.path().join(file), dir.path().join(file)).unwrap();
    }
    let key = dir.path().join("server.key");
    let cert = dir.path().join("server.pem");
    let _ = Command::new("chmod").arg("600").arg(&key).status();
    if Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
    {
        let _ = Command::new("chown").arg("postgres:").arg(&key).arg(&cert).status();
    }
    let options = format!(
        "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
        cert.display(),
        key.display()
    );
    let cluster = Cluster::start_with(None, dir, &options)?;
    cluster.database("authz");
    // Only TLS from now on (the superuser too: the test's own psql prefers TLS).
    let hba = cluster.dir().join("data").join("pg_hba.conf");
    std::fs::write(
        &hba,
        "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
    )
    .unwrap();
    cluster.sql("postgres", "SELECT pg_reload_conf()");
    // Kept for the test's length: the CA files live in `certs`, moved into the cluster's directory.
    let ca = cluster.dir().join("ca.pem");
    let other = cluster.dir().join("other.pem");
    std::fs::copy(certs.path().join("ca.pem"), &ca).unwrap();
    std::fs::copy(certs.path().join("other.pem"), &other).unwrap();
    Some((cluster, ca.display().to_string(), other.display().to_string()))
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_require_and_verify_full_work_and_a_wrong_ca_or_no_tls_is_refused() {
    let Some((cluster, ca, other)) = tls_cluster() else {
        return;
    };
    let client = Client::new();
    let base = |host: &str| format!("postgres://postgres:not-a-secret-pw@{host}:{}/authz", cluster.port);

    // sslmode=require: encrypted, the certificate not checked.
    let dir = TempDir::new().unwrap();
    let (server, _) = start_one(&format!("{}?sslmode=require", base("127.0.0.1")), dir.path(), &[]);
    let (status, _) = get(&client, server.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    assert_eq!(status, 200);
    let encrypted = cluster.sql(
        "postgres",
        "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
         WHERE ssl AND application_name = 'influx-authz'",
    );
    assert!(
        encrypted.trim().parse::<u32>().unwrap() > 0,
        "no TLS connection from influx-authz"
    );
    assert!(server.terminate().success());

    // verify-full with the CA that signed the certificate, to the name it carries.
    let dir = TempDir::new().unwrap();
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", base("localhost"));
    let (server, _) = start_one(&url, dir.path(), &[]);
    let (status, _) = get(&client, server.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    assert_eq!(status, 200);
    assert!(server.terminate().success());

    // Refused at once, in one line naming the cause, without the password: a wrong CA, and no TLS at all.
    for (url, expected) in [
        (
            format!("{}?sslmode=verify-full&sslrootcert={other}", base("localhost")),
            "certificate",
        ),
        (
            format!("{}?sslmode=verify-ca&sslrootcert={other}", base("127.0.0.1")),
            "certificate",
        ),
        (format!("{}?sslmode=disable", base("127.0.0.1")), "no encryption"),
    ] {
        let out = Command::new(binary())
            .env("INFLUX_AUTHZ_POSTGRES_URL", &url)
            .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{}", free_port()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url} was accepted: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.to_lowercase().contains(expected), "{url}: {stderr}");
        assert!(!stderr.contains("not-a-secret-pw"), "{stderr}");
    }
}
