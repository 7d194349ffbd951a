//! The real binary as a process: a work folder with a database, commands
//! run against it, and a server started on a free port with its log in a
//! file. The CLI, operations and limits tests all use this one harness.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

pub fn ticketing(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ticketing"));
    cmd.env_remove("TICKETING_CONFIG")
        .env_remove("TICKETING_TEST_DATABASE_URL")
        .env_remove("TICKETING_DATABASE_URL")
        .env("TICKETING_DB", db)
        .env("TICKETING_AUTH_PASSWORD_MEMORY_KIB", "256")
        .env("TICKETING_AUTH_PASSWORD_ITERATIONS", "1")
        .env("TICKETING_LIMITS_WRITES_PER_MINUTE", "0")
        .current_dir(db.parent().unwrap())
        .stdin(Stdio::null());
    cmd
}

pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A server process that is killed if the test fails before stopping it;
/// its log (stderr) goes to a file beside the database.
pub struct Server {
    child: Child,
    log: std::path::PathBuf,
}

impl Server {
    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// Starts `ticketing serve` on a free port; returns the child and its address.
pub fn start_server(db: &Path, extra_env: &[(&str, &str)]) -> (Server, String) {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let log = db.with_extension(format!("serve-{}.log", STARTED.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = ticketing(db);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .env("TICKETING_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let server = Server { child: cmd.spawn().unwrap(), log };
    for _ in 0..400 {
        if let Some(rest) = server.log().split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap().to_string();
            return (server, addr);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the server did not say where it listens: {}", server.log());
}

pub fn sigterm(child: &Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
}

/// One HTTP/1.1 request on its own connection; `None` when the server never
/// began an answer, else the status and whether the body arrived whole.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> Option<(u16, bool, String)> {
    http_with(addr, method, path, body, "")
}

/// [`http`] with a bearer token (none when empty).
pub fn http_with(addr: &str, method: &str, path: &str, body: Option<&str>, token: &str) -> Option<(u16, bool, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let auth = if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let length = head.lines().find_map(|l| {
        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
    });
    let whole = length.is_some_and(|n| n == payload.len());
    Some((status, whole, payload.to_string()))
}

/// A temp folder holding one database, and the binary run against it.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Workdir { dir: tempfile::tempdir().unwrap() }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("cli.db")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = ticketing(&self.db());
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child =
            self.cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Expects failure with one clear line on stderr containing `needle`.
    pub fn fails(&self, out: Output, needle: &str) {
        assert!(!out.status.success(), "expected failure");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line on stderr: {stderr}");
        assert!(lines[0].starts_with("error: ") && lines[0].contains(needle), "{stderr}");
    }
}
