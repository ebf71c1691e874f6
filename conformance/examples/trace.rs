//! Trace one scenario on a backend: `cargo run -p vtd-conformance --example trace -- ID [model|qemu]`.
use vtd_conformance::backend::{model::ModelBackend, qemu::QemuBackend};
use vtd_conformance::{catalog, Backend};

fn main() {
    let mut args = std::env::args().skip(1);
    let id = args.next().unwrap_or_default();
    let backend = args.next().unwrap_or_else(|| "model".into());
    let q;
    let b: &dyn Backend = if backend == "qemu" {
        q = QemuBackend::detect().expect("qemu");
        &q
    } else {
        &ModelBackend
    };
    for s in catalog::all().iter().filter(|s| s.id == id) {
        for l in vtd_conformance::run::trace(s, b) {
            println!("{l}");
        }
    }
}
