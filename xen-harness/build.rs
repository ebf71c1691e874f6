//! Fetch the pinned Xen 4.17 source from Debian (never committed) and compile its
//! `dmar.c` with our shims. When the source cannot be had, the crate builds without it
//! (cfg `xen_missing`) and its tests say why they skip; CI sets VTD_REQUIRE_XEN=1.

use std::path::{Path, PathBuf};
use std::process::Command;

const PIN: &str = "4.17.5+72-g01140da4e8";

fn cache() -> PathBuf {
    if let Ok(d) = std::env::var("VTD_XEN_SRC_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|_| std::env::temp_dir());
    base.join("vtd-xen-src")
}

fn fetch(cache: &Path) -> Result<PathBuf, String> {
    let tree = cache.join(format!("xen-{PIN}")).join("xen");
    // Every file the harness compiles or includes (a cache from an older harness
    // that extracted less is topped up).
    let wanted = [
        "drivers/passthrough/vtd/dmar.c",
        "drivers/passthrough/ats.h",
        "arch/x86/include/asm/msi.h",
    ];
    if wanted.iter().all(|f| tree.join(f).is_file()) {
        return Ok(tree);
    }
    std::fs::create_dir_all(cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let tarball = cache.join(format!("xen_{PIN}.orig.tar.xz"));
    if !tarball.is_file() {
        let out = Command::new("apt-get")
            .args(["source", "--download-only", &format!("xen={PIN}-1")])
            .current_dir(cache)
            .output()
            .map_err(|e| format!("apt-get: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "apt-get source xen={PIN}-1 failed (a deb-src line for bookworm main is needed): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    let out = Command::new("tar")
        .arg("xf")
        .arg(&tarball)
        .arg("-C")
        .arg(cache)
        .arg(format!("xen-{PIN}/xen/drivers/passthrough/vtd"))
        .arg(format!("xen-{PIN}/xen/include"))
        .arg(format!("xen-{PIN}/xen/drivers/passthrough/ats.h"))
        .arg(format!("xen-{PIN}/xen/arch/x86/include/asm"))
        .output()
        .map_err(|e| format!("tar: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tar: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(tree)
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(xen_missing)");
    println!("cargo:rerun-if-changed=c");
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-env-changed=VTD_XEN_SRC_CACHE");
    let tree = match fetch(&cache()) {
        Ok(t) => t,
        Err(e) => {
            println!("cargo:warning=xen-harness: Xen {PIN} source unavailable: {e}");
            println!("cargo:rustc-cfg=xen_missing");
            println!("cargo:rustc-env=XEN_MISSING_REASON={e}");
            return;
        }
    };
    let vtd = tree.join("drivers/passthrough/vtd");
    let mut b = cc::Build::new();
    // Shims first; then Xen's own headers (the real asm/msi.h, io_apic.h and
    // apicdef.h are reached through the shims' #include_next).
    b.include("shim")
        .include(tree.join("include"))
        .include(&vtd)
        .include(tree.join("drivers/passthrough"))
        .include(tree.join("arch/x86/include"))
        // Xen's code is compiled as it is: no -Wall on it. A missing shim must fail
        // the build, not become an undefined symbol at link time.
        .warnings(false)
        .flag("-Werror=implicit-function-declaration")
        .file("c/dmar_unit.c")
        .file("c/harness.c")
        .file("c/bringup.c")
        .file(vtd.join("qinval.c"))
        .file(vtd.join("intremap.c"));
    // Debian's hypervisor is a release build: dprintk() is compiled out (NDEBUG),
    // unless the debug-build feature asks for what a CONFIG_DEBUG Xen prints.
    if std::env::var_os("CARGO_FEATURE_DEBUG_BUILD").is_none() {
        b.define("NDEBUG", None);
    }
    if std::env::var_os("CARGO_CFG_FUZZING").is_some() {
        // Under cargo-fuzz (cc-rs already adds -fsanitize=address from the Rust flags):
        // gcc offers libFuzzer the comparisons in Xen's code (trace-cmp); edge coverage
        // (trace-pc-guard) needs clang, which this machine does not have.
        b.flag("-fsanitize-coverage=trace-cmp");
    }
    b.compile("xenvtd");
    println!("cargo:rerun-if-env-changed=CARGO_CFG_FUZZING");
    println!("cargo:rustc-env=XEN_SOURCE={}", tree.display());
}
