//! The toolstacks' notations for PCI devices: xm's (Xen 4.0) and xl's (Xen 4.17).
//!
//! - xm `parse_pci_name_extended()` (`tools/python/xen/util/pci.py`, 4.0;
//!   docs/sources/xen40-driver.md §4.7): `[DDDD:]BB:DD.F[@VSLOT][,OPTS]` where `:` may
//!   be `,`, F is `*` (every present function), a list (`0,1,7`), a range (`0-2`,
//!   `2-0`) or explicit mappings (`1=0,2`), VSLOT is hex 0–1f, and OPTS are
//!   `msitranslate=` / `power_mgmt=` with `0|1|yes|no`.
//! - xl `xlu_pci_parse_spec_string()` (`tools/libs/util/libxlu_pci.c`, 4.17;
//!   docs/sources/xen417-driver.md §4.6): `[DDDD:]BB:DD.F` with F a single digit or `*`,
//!   optional `@VSLOT`, then `key=value` pairs (`bdf`, `vslot`, `permissive`,
//!   `msitranslate`, `seize`, `power_mgmt`, `rdm_policy`, `name`). No function lists;
//!   a bare flag is an error.

use vtd_machine::{Bdf, Machine};

/// A function to assign and the virtual function it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The host function.
    pub bdf: Bdf,
    /// Its virtual function number in the guest.
    pub vfunc: u8,
}

/// xl's RMRR policy for a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RdmPolicy {
    /// Refuse what conflicts (the per-device default).
    #[default]
    Strict,
    /// Warn and go on.
    Relaxed,
}

/// A parsed device specification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spec {
    /// The functions, in the order the toolstack handles them.
    pub functions: Vec<Function>,
    /// The virtual slot asked for.
    pub vslot: Option<u8>,
    /// xl `permissive=`.
    pub permissive: bool,
    /// xl `seize=`: bind to pciback automatically.
    pub seize: bool,
    /// xl `rdm_policy=`.
    pub rdm_policy: RdmPolicy,
    /// `msitranslate=`.
    pub msitranslate: Option<bool>,
    /// `power_mgmt=`.
    pub power_mgmt: Option<bool>,
}

fn hex(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 4 {
        return None;
    }
    u32::from_str_radix(s, 16).ok().filter(|v| *v <= max)
}

/// `[DDDD<sep>]BB<sep>DD`: (segment, bus, device), with `sep` the separators allowed.
fn head(s: &str, seps: &[char]) -> Option<(u16, u8, u8)> {
    let parts: Vec<&str> = s.split(|c| seps.contains(&c)).collect();
    let (seg, bus, dev) = match parts.as_slice() {
        [b, d] => ("0", *b, *d),
        [s, b, d] => (*s, *b, *d),
        _ => return None,
    };
    if bus.len() > 2 || dev.len() > 2 {
        return None;
    }
    Some((
        hex(seg, 0xffff)? as u16,
        hex(bus, 0xff)? as u8,
        hex(dev, 0x1f)? as u8,
    ))
}

/// The functions of `segment:bus:device` the machine has.
fn present(m: &Machine, seg: u16, bus: u8, dev: u8) -> Vec<u8> {
    (0..8)
        .filter(|f| Bdf::new(seg, bus, dev, *f).is_some_and(|b| m.device(b).is_some()))
        .collect()
}

/// Parse an xm (Xen 4.0) device string. Errors are xm's messages.
pub fn parse_xm(s: &str, m: &Machine) -> Result<Spec, String> {
    let fail = || format!("Failed to parse pci device: {s}");
    // Options start at the first ',' after the function part; the function part ends
    // at '@' or at a ',' followed by a letter.
    let dot = s.rfind(['.']).filter(|&i| {
        // The '.' (or ',') before the function: the last '.' before any '@' or option.
        s[..i]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == ',')
    });
    let (head_str, rest) = match dot {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => {
            // BB,DD,F form: the third comma-separated field is the function.
            let mut it = s.splitn(4, ',');
            let (b, d, f) = (it.next(), it.next(), it.next());
            match (b, d, f) {
                (Some(b), Some(d), Some(f)) if !b.contains(':') => {
                    let h = format!("{b}:{d}");
                    let r = match it.next() {
                        Some(more) => format!("{f},{more}"),
                        None => f.to_string(),
                    };
                    return parse_xm(&format!("{h}.{r}"), m);
                }
                _ => return Err(fail()),
            }
        }
    };
    let (seg, bus, dev) = head(head_str, &[':', ',']).ok_or_else(fail)?;
    // Split the function part from @vslot and options.
    let opt_at = rest
        .char_indices()
        .find(|&(i, c)| c == ',' && rest[i + 1..].starts_with(|x: char| x.is_ascii_alphabetic()))
        .map(|(i, _)| i);
    let (fv, opts) = match opt_at {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (funcs, vslot) = match fv.split_once('@') {
        Some((f, v)) => {
            if v.is_empty() || v.len() > 2 {
                return Err(fail());
            }
            (f, Some(hex(v, 0x1f).ok_or_else(fail)? as u8))
        }
        None => (fv, None),
    };
    let mut spec = Spec {
        vslot,
        ..Spec::default()
    };
    if let Some(opts) = opts {
        for kv in opts.split(',') {
            let (k, v) = kv.split_once('=').ok_or_else(fail)?;
            let b = match v {
                "1" | "yes" => true,
                "0" | "no" => false,
                _ => return Err(format!("Invalid pci option {k}={v}: ")),
            };
            match k {
                "msitranslate" => spec.msitranslate = Some(b),
                "power_mgmt" => spec.power_mgmt = Some(b),
                _ => return Err(format!("Invalid pci option {k}={v}: ")),
            }
        }
    }
    let bdf = |f: u8| Bdf::new(seg, bus, dev, f).ok_or_else(fail);
    let mut fs: Vec<Function> = Vec::new();
    if funcs == "*" {
        for f in present(m, seg, bus, dev) {
            fs.push(Function {
                bdf: bdf(f)?,
                vfunc: f,
            });
        }
    } else {
        let digit = |t: &str| {
            (t.len() == 1)
                .then(|| t.parse::<u8>().ok())
                .flatten()
                .filter(|f| *f < 8)
        };
        let mut manual = false;
        let mut auto: Vec<u8> = Vec::new();
        for item in funcs.split(',') {
            let parts: Vec<&str> = item.split('-').collect();
            match parts.as_slice() {
                [one] => match one.split_once('=') {
                    Some((p, v)) => {
                        let (p, v) = (digit(p).ok_or_else(fail)?, digit(v).ok_or_else(fail)?);
                        manual = true;
                        fs.push(Function {
                            bdf: bdf(p)?,
                            vfunc: v,
                        });
                    }
                    None => auto.push(digit(one).ok_or_else(fail)?),
                },
                [a, b] => {
                    let (a, b) = (digit(a).ok_or_else(fail)?, digit(b).ok_or_else(fail)?);
                    manual = true;
                    let range: Vec<u8> = if a <= b {
                        (a..=b).collect()
                    } else {
                        (b..=a).rev().collect()
                    };
                    for f in range {
                        fs.push(Function {
                            bdf: bdf(f)?,
                            vfunc: f,
                        });
                    }
                }
                // Three '-' parts: xm returns no devices at all.
                _ => return Ok(spec),
            }
        }
        // Lists: vfunc = pfunc, except that when nothing is virtual function 0 the
        // lowest listed function becomes it.
        let low = auto.iter().copied().min();
        let zero_taken = low == Some(0) || fs.iter().any(|x| x.vfunc == 0);
        for f in auto {
            let vfunc = if !zero_taken && Some(f) == low { 0 } else { f };
            fs.push(Function {
                bdf: bdf(f)?,
                vfunc,
            });
        }
        let mut seen = Vec::new();
        for f in &fs {
            if seen.contains(&f.bdf.function) {
                return Err(format!("Duplicate functions: {s}"));
            }
            seen.push(f.bdf.function);
        }
        if fs.len() > 1 && !fs.iter().any(|f| f.vfunc == 0) {
            return Err(format!(
                "Virtual device does not include virtual function 0: {s}"
            ));
        }
        if fs.len() == 1 && !manual {
            fs[0].vfunc = 0;
        }
    }
    // Sorted by vfunc descending, so that vfunc 0 is handled last.
    fs.sort_by_key(|f| std::cmp::Reverse(f.vfunc));
    spec.functions = fs;
    Ok(spec)
}

/// Parse an xl (Xen 4.17) `PCI_SPEC_STRING`. Errors are xl's messages.
pub fn parse_xl(s: &str, m: &Machine) -> Result<Spec, String> {
    let bad = |what: String| Err(what);
    let mut spec = Spec::default();
    let mut bdf_text: Option<String> = None;
    let mut items: Vec<&str> = s.split(',').collect();
    // A positional BDF first, optionally with @vslot.
    if let Some(first) = items.first().copied() {
        if !first.contains('=') && !first.is_empty() {
            let (b, v) = match first.split_once('@') {
                Some((b, v)) => (b, Some(v)),
                None => (first, None),
            };
            bdf_text = Some(b.to_string());
            if let Some(v) = v {
                spec.vslot = Some(hex(v, 0x1f).ok_or("malformed vslot")? as u8);
            }
            items.remove(0);
        }
    }
    for kv in items.iter().filter(|x| !x.is_empty()) {
        let Some((k, v)) = kv.split_once('=') else {
            return bad(format!("Unknown PCI_SPEC_STRING option: {kv}"));
        };
        let int = || v.parse::<i64>().map(|n| n != 0).unwrap_or(false);
        match k {
            "bdf" => bdf_text = Some(v.to_string()),
            "vslot" => spec.vslot = Some(hex(v, 0x1f).ok_or("malformed vslot")? as u8),
            "permissive" => spec.permissive = int(),
            "msitranslate" => spec.msitranslate = Some(int()),
            "seize" => spec.seize = int(),
            "power_mgmt" => spec.power_mgmt = Some(int()),
            "rdm_policy" => {
                spec.rdm_policy = match v.to_ascii_lowercase().as_str() {
                    "strict" => RdmPolicy::Strict,
                    "relaxed" => RdmPolicy::Relaxed,
                    _ => return bad(format!("Unknown RDM policy: {v}")),
                }
            }
            "name" => return bad("device names (name=) are not modelled".into()),
            _ => return bad(format!("Unknown PCI_SPEC_STRING option: {k}")),
        }
    }
    let Some(text) = bdf_text else {
        return bad("malformed PCI_SPEC_STRING: no bdf".into());
    };
    let malformed = || format!("malformed PCI_SPEC_STRING \"{s}\"");
    let (h, f) = text.rsplit_once('.').ok_or_else(malformed)?;
    let (seg, bus, dev) = head(h, &[':']).ok_or_else(malformed)?;
    if f == "*" {
        for func in present(m, seg, bus, dev) {
            spec.functions.push(Function {
                bdf: Bdf::new(seg, bus, dev, func).ok_or_else(malformed)?,
                vfunc: func,
            });
        }
        if spec.vslot.is_none() {
            return bad("Must specify a v-slot for multi-function devices".into());
        }
        // Attached in order, the highest function last ("must be last").
        spec.functions.sort_by_key(|x| x.bdf.function);
    } else {
        let func = hex(f, 7).ok_or_else(malformed)? as u8;
        spec.functions.push(Function {
            bdf: Bdf::new(seg, bus, dev, func).ok_or_else(malformed)?,
            vfunc: 0,
        });
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Machine {
        Machine::from_toml(
            r#"
            [[pci]]
            bdf = "01:00.0"
            [[pci]]
            bdf = "01:00.1"
            [[pci]]
            bdf = "01:00.7"
            "#,
            "t",
        )
        .unwrap()
    }

    fn funcs(s: &Spec) -> Vec<(u8, u8)> {
        s.functions
            .iter()
            .map(|f| (f.bdf.function, f.vfunc))
            .collect()
    }

    #[test]
    fn xm_forms() {
        let m = m();
        let s = parse_xm("01:00.0", &m).unwrap();
        assert_eq!((funcs(&s), s.vslot), (vec![(0, 0)], None));
        assert_eq!(parse_xm("0000:01:00.0@7", &m).unwrap().vslot, Some(7));
        assert_eq!(
            parse_xm("01,00,0", &m).unwrap().functions[0].bdf,
            "01:00.0".parse().unwrap()
        );
        // The HowTo's `0:2:0.0` is domain 0, bus 2, device 0.
        assert_eq!(
            parse_xm("0:2:0.0", &m).unwrap().functions[0].bdf,
            "02:00.0".parse().unwrap()
        );
        assert_eq!(
            funcs(&parse_xm("01:00.*", &m).unwrap()),
            vec![(7, 7), (1, 1), (0, 0)]
        );
        assert_eq!(
            funcs(&parse_xm("01:00.0,1,7", &m).unwrap()),
            vec![(7, 7), (1, 1), (0, 0)]
        );
        assert_eq!(
            funcs(&parse_xm("01:00.1,2", &m).unwrap()),
            vec![(2, 2), (1, 0)]
        );
        assert_eq!(funcs(&parse_xm("01:00.0-2", &m).unwrap()).len(), 3);
        assert_eq!(
            funcs(&parse_xm("01:00.3=1,2", &m).unwrap()),
            vec![(3, 1), (2, 0)]
        );
        assert_eq!(
            funcs(&parse_xm("00:1a.1", &m).unwrap()),
            vec![(1, 0)],
            "one function is vfunc 0"
        );
        assert!(parse_xm("01:00.0-2=4-6", &m).unwrap().functions.is_empty());
        let s = parse_xm("01:00.0,1@7,power_mgmt=1", &m).unwrap();
        assert_eq!((s.vslot, s.power_mgmt), (Some(7), Some(true)));
        assert_eq!(
            parse_xm("01:00.0,0", &m),
            Err("Duplicate functions: 01:00.0,0".into())
        );
        assert!(parse_xm("01:00.1=1,2=2", &m)
            .unwrap_err()
            .starts_with("Virtual device does not include"));
        assert_eq!(
            parse_xm("01:00.8", &m),
            Err("Failed to parse pci device: 01:00.8".into())
        );
        assert_eq!(
            parse_xm("01:00.0@20", &m),
            Err("Failed to parse pci device: 01:00.0@20".into())
        );
        assert!(parse_xm("01:00.0,bogus=1", &m)
            .unwrap_err()
            .starts_with("Invalid pci option bogus=1"));
    }

    #[test]
    fn xl_forms() {
        let m = m();
        let s = parse_xl("01:00.0", &m).unwrap();
        assert_eq!((funcs(&s), s.vslot), (vec![(0, 0)], None));
        let s = parse_xl("36:00.0@1a,seize=1,rdm_policy=relaxed", &m).unwrap();
        assert_eq!(
            (s.vslot, s.seize, s.rdm_policy),
            (Some(0x1a), true, RdmPolicy::Relaxed)
        );
        let s = parse_xl("bdf=01:00.1,vslot=5", &m).unwrap();
        assert_eq!((funcs(&s), s.vslot), (vec![(1, 0)], Some(5)));
        assert_eq!(
            funcs(&parse_xl("01:00.*@4", &m).unwrap()),
            vec![(0, 0), (1, 1), (7, 7)]
        );
        assert_eq!(
            parse_xl("01:00.*", &m),
            Err("Must specify a v-slot for multi-function devices".into())
        );
        assert!(
            parse_xl("01:00.0,1", &m).is_err(),
            "no function lists in xl"
        );
        assert_eq!(
            parse_xl("01:00.0,seize", &m),
            Err("Unknown PCI_SPEC_STRING option: seize".into())
        );
        assert_eq!(
            parse_xl("01:00.0,rdm_policy=maybe", &m),
            Err("Unknown RDM policy: maybe".into())
        );
        assert_eq!(
            parse_xl("01:00.0,colour=red", &m),
            Err("Unknown PCI_SPEC_STRING option: colour".into())
        );
    }
}
