//! `vtd conformance` end to end on the model: the summary, the files, the exit
//! statuses, `--list`, `--trace` and JSON.

use std::process::{Command, Output};

fn vtd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vtd"))
        .args(args)
        .output()
        .expect("run vtd")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn runs_the_catalog_on_the_model_and_writes_the_model_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = vtd(&["conformance", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("area"), "{out}");
    assert!(out.contains("registers"), "{out}");
    assert!(out.contains("Coverage:"), "{out}");
    assert!(!out.contains("FAILED"), "{out}");
    let md = std::fs::read_to_string(dir.path().join("conformance-model.md")).unwrap();
    assert!(md.starts_with("# VT-d conformance matrix"));
    assert!(md.contains("| registers |"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("conformance-model.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["backends"][0]["name"], "model");
    assert!(json["scenarios"].as_array().unwrap().len() >= 150);
    // The committed matrix is only written by --backend all.
    assert!(!dir.path().join("conformance.md").exists());
}

#[test]
fn filter_list_and_json() {
    let o = vtd(&["conformance", "--list", "--filter", "qi/"]);
    assert_eq!(o.status.code(), Some(0));
    let list = text(&o.stdout);
    assert!(list.lines().count() >= 10, "{list}");
    assert!(list.lines().all(|l| l.starts_with("qi/")), "{list}");

    let o = vtd(&[
        "conformance",
        "--no-write",
        "--format",
        "json",
        "--filter",
        "wait/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let scenarios = v["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty());
    assert!(scenarios
        .iter()
        .all(|s| s["id"].as_str().unwrap().starts_with("wait/")));
    assert!(scenarios
        .iter()
        .all(|s| s["results"]["model"]["status"] == "pass"));
}

#[test]
fn unknown_filter_and_unknown_trace_are_input_errors() {
    let o = vtd(&["conformance", "--no-write", "--filter", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--list"));
    let o = vtd(&["conformance", "--trace", "registers/nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn trace_shows_every_step_with_what_the_backend_answered() {
    let o = vtd(&["conformance", "--trace", "dma-faults/write-to-read-only"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    assert!(t.contains("on model:"), "{t}");
    assert!(t.contains("read FRCD0.hi (8 bytes) -> 0x"), "{t}");
    assert!(t.contains("=> pass"), "{t}");
}

#[test]
fn a_missing_qemu_is_exit_2_with_the_install_hint() {
    let o = Command::new(env!("CARGO_BIN_EXE_vtd"))
        .args(["conformance", "--backend", "qemu", "--no-write"])
        .env("VTD_QEMU", "/nonexistent/qemu-system-x86_64")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("apt-get install qemu-system-x86"));
}

#[test]
fn fixture_add_writes_a_fixture_that_loads_and_expects_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.bin");
    // The zero-length X7SB4 table, through the CLI's own builder.
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dmar-fixtures/supermicro-x7sb4-zero-length/table.toml");
    let o = vtd(&[
        "dmar",
        "build",
        spec.to_str().unwrap(),
        "-o",
        table.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let fixtures = dir.path().join("fx");
    let o = vtd(&[
        "fixture",
        "add",
        table.to_str().unwrap(),
        "--board",
        "Supermicro X7SB4 (test)",
        "--bios",
        "1.2",
        "--dir",
        fixtures.to_str().unwrap(),
        "--no-oracle",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("git add"));
    let folder = fixtures.join("supermicro-x7sb4-test");
    let meta: toml::Value =
        toml::from_str(&std::fs::read_to_string(folder.join("fixture.toml")).unwrap()).unwrap();
    assert_eq!(meta["board"].as_str(), Some("Supermicro X7SB4 (test)"));
    let expected = meta["expected"].as_array().unwrap();
    assert!(
        expected
            .iter()
            .any(|e| e.as_str() == Some("zero-length-structure")),
        "{expected:?}"
    );
    assert_eq!(
        std::fs::read(folder.join("table.bin")).unwrap(),
        std::fs::read(&table).unwrap()
    );
    // A second add under the same name refuses to overwrite.
    let o = vtd(&[
        "fixture",
        "add",
        table.to_str().unwrap(),
        "--board",
        "Supermicro X7SB4 (test)",
        "--dir",
        fixtures.to_str().unwrap(),
        "--no-oracle",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
