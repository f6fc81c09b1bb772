//! A throwaway PostgreSQL server for the export tests: a cluster made by Debian's
//! `postgresql` package under a temp dir, listening only on a Unix socket in that
//! dir (no TCP, so its port number cannot clash with another server), stopped and
//! removed when dropped. initdb refuses to run as root, so as root the cluster is
//! made and run as `nobody`. Without the binaries the tests fail under
//! `CALLQA_REQUIRE_POSTGRES=1` (scripts/test.sh) and are a noted no-op otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_nobody: bool,
    pub port: u16,
}

/// The directory holding initdb and pg_ctl: `$CALLQA_PG_BIN`, the newest
/// `/usr/lib/postgresql/N/bin`, or the one on PATH.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CALLQA_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgServer {
    /// Starts a server, or `None` (with a note) when PostgreSQL is not installed and
    /// not required.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var("CALLQA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "initdb not found (CALLQA_PG_BIN, /usr/lib/postgresql/N/bin, PATH) and CALLQA_REQUIRE_POSTGRES=1; run scripts/setup.sh"
            );
            eprintln!("note: PostgreSQL not installed; set CALLQA_REQUIRE_POSTGRES=1 to make this a failure");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("callqa-pg-")
            .tempdir()
            .unwrap();
        let as_nobody = is_root();
        if as_nobody {
            let ok = Command::new("chown")
                .args(["nobody:", super::s(dir.path())])
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown the cluster dir to nobody");
        }
        let server = PgServer {
            dir,
            bin,
            as_nobody,
            port: 5432,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                super::s(&data),
                "-U",
                "callqa",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        let opts = format!(
            "-k {} -p {} -c listen_addresses='' -c fsync=off -c full_page_writes=off",
            super::s(server.dir.path()),
            server.port
        );
        let log = server.dir.path().join("server.log");
        server.run(
            "pg_ctl",
            &[
                "-D",
                super::s(&data),
                "-l",
                super::s(&log),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A connection URL for `callqa export --postgres` (the socket dir as the
    /// percent-encoded host).
    pub fn url(&self) -> String {
        let host: String = super::s(self.socket_dir())
            .bytes()
            .map(|b| match b {
                b'/' => "%2F".to_string(),
                b => (b as char).to_string(),
            })
            .collect();
        format!("postgresql://callqa@{host}:{}/postgres", self.port)
    }

    pub fn client(&self) -> postgres::Client {
        let mut config = postgres::Config::new();
        config
            .host_path(self.socket_dir())
            .port(self.port)
            .user("callqa")
            .dbname("postgres");
        config.connect(postgres::NoTls).unwrap()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                super::s(&self.data()),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .output();
    }
}
