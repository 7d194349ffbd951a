//! A real SMTP server for the mail tests: `tests/support/smtp_sink.py`
//! (aiosmtpd), run as a child process, writing each message it accepts as
//! JSON the tests read.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

pub struct Sink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    _temp: tempfile::TempDir,
}

impl Sink {
    /// A sink on a free port, or on `port` (to bring a server "back up").
    pub fn start(port: Option<u16>) -> Sink {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("mail");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).arg(&dir);
        if let Some(port) = port {
            cmd.arg(port.to_string());
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("python3 runs the sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not start (is aiosmtpd installed?): {line:?}"));
        Sink { child, port, dir, _temp: temp }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }

    /// Waits until at least `n` messages arrived, then a little longer for
    /// any that should not come; answers all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.messages().len() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} emails arrived: {:#?}",
                self.messages().len(),
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        self.messages()
    }

    /// Forgets what arrived so far.
    pub fn clear(&self) {
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The recipients of some messages, sorted.
pub fn recipients(messages: &[Value]) -> Vec<String> {
    let mut all: Vec<String> = messages
        .iter()
        .flat_map(|m| m["rcpt"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()))
        .collect();
    all.sort();
    all
}
