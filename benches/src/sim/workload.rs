//! Request streams: generated patterns and trace files.

/// One DMA request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Req {
    /// Bus address.
    pub addr: u64,
    /// Bytes.
    pub len: u32,
    /// A write (else a read).
    pub write: bool,
}

/// How addresses move over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Request after request, wrapping at the window's end.
    Sequential,
    /// Uniformly random, `size`-aligned, seeded.
    Random {
        /// Seed.
        seed: u64,
    },
}

/// `n` requests of `size` bytes over `[0, window)`.
pub fn generate(pattern: Pattern, window: u64, size: u32, write: bool, n: usize) -> Vec<Req> {
    let size64 = u64::from(size.max(1));
    let slots = (window / size64).max(1);
    let mut rng = match pattern {
        Pattern::Random { seed } => Some(fastrand::Rng::with_seed(seed)),
        Pattern::Sequential => None,
    };
    (0..n as u64)
        .map(|i| {
            let slot = match &mut rng {
                Some(r) => r.u64(0..slots),
                None => i % slots,
            };
            Req {
                addr: slot * size64,
                len: size,
                write,
            }
        })
        .collect()
}

/// Why a trace line is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trace line {line}: {what}")]
pub struct TraceError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// Parse a trace: one request per line, `r|w ADDRESS LENGTH` (numbers in decimal or
/// 0x-hex), `#` comments and blank lines ignored.
pub fn parse_trace(text: &str) -> Result<Vec<Req>, TraceError> {
    let num = |s: &str| -> Option<u64> {
        match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => s.parse().ok(),
        }
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let err = |what: &str| TraceError {
            line: i + 1,
            what: format!("{what}: {raw:?} (expected `r|w ADDRESS LENGTH`)"),
        };
        let f: Vec<&str> = l.split_whitespace().collect();
        let [dir, addr, len] = f.as_slice() else {
            return Err(err("three fields needed"));
        };
        let write = match *dir {
            "r" | "R" => false,
            "w" | "W" => true,
            _ => return Err(err("direction is r or w")),
        };
        let addr = num(addr).ok_or_else(|| err("bad address"))?;
        let len = num(len)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| err("bad length"))?;
        out.push(Req { addr, len, write });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_stays_in_the_window_and_is_reproducible() {
        let a = generate(Pattern::Random { seed: 7 }, 1 << 20, 64, false, 1000);
        let b = generate(Pattern::Random { seed: 7 }, 1 << 20, 64, false, 1000);
        assert_eq!(a, b);
        assert!(a.iter().all(|r| r.addr < 1 << 20 && r.addr % 64 == 0));
        let s = generate(Pattern::Sequential, 256, 64, true, 6);
        assert_eq!(
            s.iter().map(|r| r.addr).collect::<Vec<_>>(),
            vec![0, 64, 128, 192, 0, 64]
        );
    }

    #[test]
    fn traces_parse_and_errors_name_the_line() {
        let t = parse_trace("# a trace\nr 0x1000 64\nw 4096 0x40 # comment\n\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[1],
            Req {
                addr: 4096,
                len: 64,
                write: true
            }
        );
        let e = parse_trace("r 0x1000 64\nx 1 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse_trace("r 1 0").is_err());
    }
}
