//! The `vtd` binary end to end: exit statuses, what the messages name, and the
//! round trips the issue promises.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vtd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vtd"))
        .args(args)
        .output()
        .expect("run vtd")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fixture_table(dir: &Path, name: &str) -> PathBuf {
    let f = dmar_fixtures_table(name);
    let p = dir.join(format!("{name}.bin"));
    std::fs::write(&p, f).unwrap();
    p
}

fn dmar_fixtures_table(name: &str) -> Vec<u8> {
    // Build through the CLI itself, from the fixture's spec.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dmar-fixtures")
        .join(name)
        .join("table.toml");
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = vtd(&[
        "dmar",
        "build",
        spec.to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(out.path()).unwrap()
}

fn machine(dir: &Path, name: &str) -> PathBuf {
    // A fixture.toml's [machine] table, as a stand-alone machine file.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../dmar-fixtures")
            .join(name)
            .join("fixture.toml"),
    )
    .unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let m = toml::to_string(&value["machine"]).unwrap();
    let p = dir.join(format!("{name}.machine.toml"));
    std::fs::write(&p, m).unwrap();
    p
}

#[test]
fn fixtures_summary_is_the_main_job_and_exits_zero() {
    let o = vtd(&["dmar", "check", "--fixtures"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("supermicro-x7sb4-zero-length"), "{out}");
    assert!(out.contains("HANG"), "{out}");
    assert!(out.contains("as recorded"), "{out}");
    assert!(!out.contains(" NO\n"), "{out}");
}

#[test]
fn zero_length_fixture_exits_one_and_names_offset_and_consequences() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_table(dir.path(), "supermicro-x7sb4-zero-length");
    let o = vtd(&["dmar", "check", t.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for needle in [
        "error[zero-length-structure]",
        "offset 112 (0x70)",
        "Invalid ACPI DMAR entry length: 0",
        "hangs during boot",
        "dmar_acpi_dev_scope_init",
        "intel_iommu=off",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn rmrr_outside_reserved_with_machine_names_drivers_and_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_table(dir.path(), "rmrr-outside-reserved");
    let m = machine(dir.path(), "rmrr-outside-reserved");
    let o = vtd(&[
        "dmar",
        "check",
        t.to_str().unwrap(),
        "--machine",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "a warning is not an error");
    let out = stdout(&o);
    for needle in [
        "warning[rmrr-outside-reserved]",
        "not in reserved memory; need \"iommu_inclusive_mapping=1\"?",
        "No firmware reserved region can cover this RMRR",
        "dom0-iommu=map-inclusive",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // Without the machine the memory check cannot run, and the output says so.
    let o = vtd(&["dmar", "check", t.to_str().unwrap()]);
    assert!(!stdout(&o).contains("[rmrr-outside-reserved]"));
    assert!(stdout(&o).contains("no machine given"));
}

#[test]
fn json_decode_re_encodes_to_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "supermicro-x7sb4-zero-length",
        "bridge-scoped-devices",
        "scope-overrun",
    ] {
        let t = fixture_table(dir.path(), name);
        let o = vtd(&["dmar", "decode", t.to_str().unwrap(), "--format", "json"]);
        assert!(o.status.success());
        let json = dir.path().join(format!("{name}.json"));
        std::fs::write(&json, &o.stdout).unwrap();
        let back = dir.path().join(format!("{name}.back"));
        let o = vtd(&[
            "dmar",
            "encode",
            json.to_str().unwrap(),
            "-o",
            back.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            std::fs::read(&back).unwrap(),
            std::fs::read(&t).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn repair_fixes_the_zero_length_table_and_explains_booting_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_table(dir.path(), "supermicro-x7sb4-zero-length");
    let fixed = dir.path().join("fixed.bin");
    let o = vtd(&[
        "dmar",
        "repair",
        t.to_str().unwrap(),
        "-o",
        fixed.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("set Length to 40"), "{out}");
    assert!(out.contains("kernel/firmware/acpi"), "{out}");
    assert!(out.contains("acpi --exclude=DMAR"), "{out}");
    let o = vtd(&["dmar", "check", fixed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let before = dmar::parse(&std::fs::read(&t).unwrap()).unwrap();
    let after = dmar::parse(&std::fs::read(&fixed).unwrap()).unwrap();
    assert_eq!(after.header.oem_id, before.header.oem_id);
    assert_eq!(after.header.oem_table_id, before.header.oem_table_id);
    assert!(after.header.oem_revision > before.header.oem_revision);
    assert_eq!(after.structures.len(), 4, "no structure was dropped");
}

#[test]
fn unreadable_input_exits_two_and_names_the_file() {
    let o = vtd(&["dmar", "check", "/nonexistent/DMAR.bin"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/DMAR.bin"));
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("apic.bin");
    std::fs::write(&junk, b"APIC....").unwrap();
    let o = vtd(&["dmar", "decode", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("offset 0"));
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let o = vtd(&["dmar", "rules"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).lines().count(),
        dmar::check::RULES.len() + 1,
        "one line per rule plus the header"
    );
    let o = vtd(&["dmar", "rules", "rmrr-overlap"]);
    assert!(stdout(&o).contains("Overlapping RMRRs"));
    assert_eq!(vtd(&["dmar", "rules", "nope"]).status.code(), Some(2));
}

#[test]
fn check_json_carries_ids_ranges_and_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_table(dir.path(), "zero-length-scope");
    let o = vtd(&["dmar", "check", t.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"]["linux-6.1"], "hangs");
    assert_eq!(v["verdict"]["xen-4.17"], "rejects-table");
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"]["id"], "zero-length-scope");
    assert_eq!(d["rule"]["fwts"], "InvalidDevScope");
    assert!(d["range"]["start"].as_u64().unwrap() > 48);
    let o = vtd(&["dmar", "check", "--fixtures", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list.as_array().unwrap().iter().all(|f| f["agrees"] == true));
}

#[test]
fn boot_a_fixture_prints_each_option_set_and_exits_by_outcome() {
    let o = vtd(&["boot", "--fixture", "supermicro-x7sb4-zero-length"]);
    assert_eq!(o.status.code(), Some(1), "VT-d ends up off");
    let out = stdout(&o);
    assert!(out.contains("Xen 4.17 booting supermicro-x7sb4-zero-length with \"iommu=1\""));
    assert!(
        out.contains("PANIC: Couldn't enable IOMMU and iommu=required/force"),
        "{out}"
    );
    assert!(out.contains("Failed to parse ACPI DMAR.  Disabling VT-d."));
    let o = vtd(&[
        "boot",
        "--fixture",
        "supermicro-x7sb4-zero-length",
        "-p",
        "linux",
    ]);
    assert!(stdout(&o).contains("HANGS"));
    let o = vtd(&["boot", "--fixture", "qemu-q35-control", "-o", "iommu=1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn boot_json_has_the_promised_fields() {
    let o = vtd(&[
        "boot",
        "--fixture",
        "rmrr-outside-reserved",
        "-p",
        "linux",
        "-o",
        "intel_iommu=on",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for field in [
        "vtd_enabled",
        "qi",
        "ir",
        "translation",
        "outcome",
        "log",
        "faults",
    ] {
        assert!(v.get(field).is_some(), "{field}");
    }
    assert_eq!(v["outcome"], "booted");
    assert_eq!(v["taint"], true);
    assert!(v["log"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["text"].as_str().unwrap().contains("bad RMRR")));
}

#[test]
fn boot_a_table_file_with_a_machine_or_on_the_machine_it_implies() {
    let dir = tempfile::tempdir().unwrap();
    let table = fixture_table(dir.path(), "bridge-scoped-devices");
    let m = machine(dir.path(), "bridge-scoped-devices");
    let o = vtd(&[
        "boot",
        table.to_str().unwrap(),
        "--machine",
        m.to_str().unwrap(),
        "-p",
        "xen-4.0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Without a machine: a unit at every DRHD base, the devices the scopes name.
    let o = vtd(&["boot", table.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bases: Vec<u64> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["base"].as_u64().unwrap())
        .collect();
    assert_eq!(bases, vec![0xfbffc000, 0xc7ffc000]);
    assert_eq!(v["outcome"], "booted");
    let o = vtd(&["boot", table.to_str().unwrap(), "--preset", "no-such-unit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("vtd boot --presets"));
    let o = vtd(&["boot", "--presets"]);
    assert!(stdout(&o).contains("sapphire-rapids"));
}
