//! A QEMU process driven over the qtest protocol on its stdin/stdout, with a QMP
//! socket beside it for what qtest cannot see (the local APIC).
//!
//! Every command waits for its answer with a time-out, so a hung QEMU fails the
//! scenario instead of the test run. The process is killed when the handle drops.

use crate::backend::BackendError;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long one qtest command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

static SOCKETS: AtomicU64 = AtomicU64::new(0);

/// A running QEMU.
pub struct Qtest {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    qmp_path: PathBuf,
    qmp: Option<BufReader<UnixStream>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Qtest {
    /// Start `binary` with `args` (the qtest and QMP options are added here).
    pub fn start(binary: &Path, args: &[String]) -> Result<Self, BackendError> {
        let n = SOCKETS.fetch_add(1, Ordering::Relaxed);
        let qmp_path =
            std::env::temp_dir().join(format!("vtd-qmp-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&qmp_path);
        let mut child = Command::new(binary)
            .args(args)
            .args(["-qtest", "stdio", "-qtest-log", "/dev/null"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_path.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    BackendError::Missing(format!(
                        "{} not found: install QEMU (`apt-get install qemu-system-x86`) or set VTD_QEMU",
                        binary.display()
                    ))
                } else {
                    BackendError::Io(format!("starting {}: {e}", binary.display()))
                }
            })?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| BackendError::Io("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BackendError::Io("no stdout".into()))?;
        let mut err_pipe = child
            .stderr
            .take()
            .ok_or_else(|| BackendError::Io("no stderr".into()))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    if s.len() < 16384 {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            }
        });
        Ok(Qtest {
            child,
            stdin,
            lines: rx,
            qmp_path,
            qmp: None,
            stderr,
        })
    }

    fn stderr_tail(&self) -> String {
        let s = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        let s = s
            .lines()
            .filter(|l| !l.contains("g_timer_elapsed"))
            .collect::<Vec<_>>()
            .join("; ");
        if s.is_empty() {
            String::new()
        } else {
            format!(" (QEMU said: {s})")
        }
    }

    /// Send one qtest command and return what follows `OK` in the answer.
    pub fn cmd(&mut self, command: &str) -> Result<String, BackendError> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| {
                BackendError::Io(format!("qtest `{command}`: {e}{}", self.stderr_tail()))
            })?;
        loop {
            match self.lines.recv_timeout(COMMAND_TIMEOUT) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("OK") {
                        return Ok(rest.trim().to_string());
                    }
                    if line.starts_with("FAIL") || line.starts_with("ERR") {
                        return Err(BackendError::Refused(format!("qtest `{command}`: {line}")));
                    }
                    // IRQ notifications and other asynchronous lines.
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(BackendError::Timeout(format!(
                        "qtest `{command}` unanswered after {} s",
                        COMMAND_TIMEOUT.as_secs()
                    )))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(BackendError::Io(format!(
                        "QEMU exited during `{command}`{}",
                        self.stderr_tail()
                    )));
                }
            }
        }
    }

    /// A command answering `OK 0x…`.
    pub fn value(&mut self, command: &str) -> Result<u64, BackendError> {
        let v = self.cmd(command)?;
        let hex = v.trim_start_matches("0x");
        u64::from_str_radix(hex, 16)
            .map_err(|_| BackendError::Io(format!("qtest `{command}`: unexpected answer {v:?}")))
    }

    /// Read `len` bytes of guest memory.
    pub fn read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, BackendError> {
        let v = self.cmd(&format!("read {addr:#x} {len:#x}"))?;
        let hex = v.trim_start_matches("0x");
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| BackendError::Io(format!("qtest read: unexpected answer {v:?}")))
    }

    /// Write guest memory.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), BackendError> {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        self.cmd(&format!("write {addr:#x} {:#x} 0x{hex}", data.len()))
            .map(|_| ())
    }

    /// Run a human monitor command over QMP and return its output.
    pub fn hmp(&mut self, command: &str) -> Result<String, BackendError> {
        let io = |e: std::io::Error| BackendError::Io(format!("QMP: {e}"));
        if self.qmp.is_none() {
            let s = UnixStream::connect(&self.qmp_path).map_err(io)?;
            s.set_read_timeout(Some(COMMAND_TIMEOUT)).map_err(io)?;
            let mut r = BufReader::new(s);
            let mut greeting = String::new();
            r.read_line(&mut greeting).map_err(io)?;
            r.get_mut()
                .write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
                .map_err(io)?;
            qmp_return(&mut r)?;
            self.qmp = Some(r);
        }
        let Some(r) = self.qmp.as_mut() else {
            return Err(BackendError::Io("QMP not connected".into()));
        };
        let req = serde_json::json!({
            "execute": "human-monitor-command",
            "arguments": { "command-line": command }
        });
        r.get_mut()
            .write_all(format!("{req}\n").as_bytes())
            .map_err(io)?;
        let v = qmp_return(r)?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }
}

/// Read QMP messages until a `return` (skipping events).
fn qmp_return(r: &mut BufReader<UnixStream>) -> Result<serde_json::Value, BackendError> {
    loop {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .map_err(|e| BackendError::Timeout(format!("QMP: {e}")))?;
        if n == 0 {
            return Err(BackendError::Io("QMP closed".into()));
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| BackendError::Io(format!("QMP: {e}: {line}")))?;
        if let Some(ret) = v.get("return") {
            return Ok(ret.clone());
        }
        if let Some(err) = v.get("error") {
            return Err(BackendError::Refused(format!("QMP: {err}")));
        }
    }
}

impl Drop for Qtest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.qmp_path);
    }
}

/// The vectors in the IRR line of `info lapic` output ("IRR\t 65 66").
pub fn parse_irr(info: &str) -> Vec<u8> {
    info.lines()
        .find_map(|l| l.trim_start().strip_prefix("IRR"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|w| w.parse::<u8>().ok())
                .collect()
        })
        .unwrap_or_default()
}
