//! The lines a production driver prints, as the reference driver reproduces them.

use serde::Serialize;

/// A printk / pr_* level, as far as it decides whether a default boot shows the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A panic message.
    Emergency,
    /// XENLOG_ERR / pr_err.
    Error,
    /// XENLOG_WARNING / pr_warn.
    Warning,
    /// pr_notice.
    Notice,
    /// XENLOG_INFO / pr_info.
    Info,
    /// Only with `iommu=verbose` (Xen) or in debug builds.
    Debug,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Level.
    pub level: Level,
    /// The text, with the driver's own prefix (`[VT-D]`, `DMAR: `) as it prints it.
    pub text: String,
}

impl LogLine {
    /// A line.
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        LogLine {
            level,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A log being written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Log(pub Vec<LogLine>);

impl Log {
    /// Append a line.
    pub fn push(&mut self, level: Level, text: impl Into<String>) {
        self.0.push(LogLine::new(level, text));
    }

    /// Append an error line.
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Level::Error, text);
    }

    /// Append a warning line.
    pub fn warn(&mut self, text: impl Into<String>) {
        self.push(Level::Warning, text);
    }

    /// Append an info line.
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text);
    }

    /// Whether any line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.0.iter().any(|l| l.text.contains(needle))
    }

    /// The lines.
    pub fn lines(&self) -> &[LogLine] {
        &self.0
    }
}
