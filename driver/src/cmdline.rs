//! Splitting a command line and reading booleans the way each code base does.

/// The `key[=value]` parameters of a command line, split at whitespace (quotes are
/// not special to either Xen's or Linux's early parsers for these options).
pub fn params(cmdline: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    cmdline.split_whitespace().map(|p| match p.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (p, None),
    })
}

/// Xen 4.17 `parse_bool()` (`xen/common/kernel.c`): `Some(true)` for 1 on yes true
/// enable, `Some(false)` for 0 no off false disable, None otherwise.
pub fn xen_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "on" | "yes" | "true" | "enable" => Some(true),
        "0" | "no" | "off" | "false" | "disable" => Some(false),
        _ => None,
    }
}

/// Xen 4.17 `parse_boolean(name, s)`: `name` → true, `no-name` → false,
/// `name=<bool>` → the bool; None when the word is not about `name` (or its value is
/// not a boolean, which the callers treat as invalid).
pub fn xen_boolean(name: &str, word: &str) -> Option<Option<bool>> {
    if word == name {
        return Some(Some(true));
    }
    if word.strip_prefix("no-") == Some(name) {
        return Some(Some(false));
    }
    let value = word.strip_prefix(name)?.strip_prefix('=')?;
    Some(xen_bool(value))
}

/// Linux `kstrtobool()` (`lib/kstrtox.c`): the first character decides (y/Y/1 true,
/// n/N/0 false), or the first two for on/off.
pub fn kstrtobool(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    match b.first()? {
        b'y' | b'Y' | b'1' => Some(true),
        b'n' | b'N' | b'0' => Some(false),
        b'o' | b'O' => match b.get(1)? {
            b'n' | b'N' => Some(true),
            b'f' | b'F' => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        assert_eq!(xen_bool("enable"), Some(true));
        assert_eq!(xen_bool("On"), None, "Xen's parse_bool is case-sensitive");
        assert_eq!(xen_boolean("qinval", "no-qinval"), Some(Some(false)));
        assert_eq!(xen_boolean("qinval", "qinval=0"), Some(Some(false)));
        assert_eq!(xen_boolean("qinval", "qinval=maybe"), Some(None));
        assert_eq!(xen_boolean("qinval", "snoop"), None);
        assert_eq!(kstrtobool("Yes"), Some(true));
        assert_eq!(kstrtobool("of"), Some(false));
        assert_eq!(kstrtobool("o"), None);
        assert_eq!(
            params("iommu=1,verbose  dom0-iommu=none quiet").collect::<Vec<_>>(),
            vec![
                ("iommu", Some("1,verbose")),
                ("dom0-iommu", Some("none")),
                ("quiet", None)
            ]
        );
    }
}
