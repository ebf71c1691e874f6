//! One QEMU boot: the serial console read line by line until the lane's verdict is
//! in the log, QEMU exits, or the time-out passes (the verdict HANG). QEMU is killed
//! as soon as the verdict is known.

use super::verdict::{self, Lane, Stop};
use super::OracleError;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a boot printed.
pub struct Run {
    /// The serial lines, without line ends.
    pub lines: Vec<String>,
    /// The time-out passed before the verdict was known.
    pub timed_out: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Run `qemu` with `args` and read its serial console.
pub fn run(
    qemu: &Path,
    args: &[String],
    lane: Lane,
    timeout: Duration,
) -> Result<Run, OracleError> {
    let start = Instant::now();
    let mut child = Command::new(qemu)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| OracleError::Missing(format!("{}: {e}", qemu.display())))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| OracleError::Io("QEMU has no stdout".into()))?;
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\r', '\n'])
                        .replace('\r', "")
                        .to_string();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut lines = Vec::new();
    let mut deadline = start + timeout;
    let mut timed_out = true;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        match rx.recv_timeout(deadline - now) {
            Ok(line) => {
                let stop = verdict::stop(lane, &line);
                lines.push(line);
                match stop {
                    Stop::No => {}
                    Stop::Now => {
                        timed_out = false;
                        break;
                    }
                    Stop::After(grace) => {
                        timed_out = false;
                        deadline = deadline.min(Instant::now() + grace);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // QEMU exited (a reboot under -no-reboot, or a crash).
                timed_out = false;
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    Ok(Run {
        lines,
        timed_out,
        elapsed: start.elapsed(),
    })
}
