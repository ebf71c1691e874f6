//! Scalable mode: root entry → scalable context entry → PASID directory → PASID table
//! entry → first-level, second-level, nested or pass-through translation.

use super::first_level::FlWalk;
use super::{fail, identity, Failure, SlWalk, Step, Walker, SCALABLE_CODES};
use crate::cache::context::{CachedContext, ScalableContext};
use crate::cache::pasid::{CachedPasid, PasidInfo, PasidKey};
use crate::fault::FaultReason as R;
use crate::memory::GuestMemory;
use crate::request::{Access, AddressType, Request, Translation, Via};
use crate::tables::{PasidDirEntry, PasidEntry, Pgtt, RootEntry, SmContextEntry};

/// Read and check the root and scalable context entries of `source_id`.
pub(super) fn fetch_context<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    source_id: u16,
) -> Step<CachedContext> {
    let haw = w.hw.haw;
    let bus = u64::from(source_id >> 8);
    let devfn = (source_id & 0xff) as u8;
    let at = w.hw.root.addr + bus * 16;
    let root = RootEntry {
        lo: w.read(at, R::SM_ROOT_ACCESS, false)?,
        hi: w.read(at + 8, R::SM_ROOT_ACCESS, false)?,
    };
    if !root.sm_present(devfn) {
        return fail(R::SM_ROOT_NOT_PRESENT, false);
    }
    if root.sm_reserved(haw) {
        return fail(R::SM_ROOT_RESERVED, false);
    }
    let at = root.sm_ctp(devfn) + u64::from(devfn & 0x7f) * 32;
    let mut q = [0u64; 4];
    for (i, v) in q.iter_mut().enumerate() {
        *v = w.read(at + 8 * i as u64, R::SM_CONTEXT_ACCESS, false)?;
    }
    let ce = SmContextEntry { q };
    let fpd = ce.fpd();
    if !ce.present() {
        return fail(R::SM_CONTEXT_NOT_PRESENT, fpd);
    }
    if ce.reserved(haw) {
        return fail(R::SM_CONTEXT_RESERVED, fpd);
    }
    if ce.dte() && !w.hw.ecap.dt() {
        return fail(R::SM_CONTEXT_INVALID, fpd);
    }
    Ok(CachedContext::Scalable(ScalableContext {
        fpd,
        dte: ce.dte(),
        paside: ce.paside(),
        pasid_dir: ce.pasid_dir(),
        max_pasid: ce.max_pasid(),
        rid_pasid: ce.rid_pasid(),
    }))
}

/// Read and check the PASID directory and table entries.
fn fetch_pasid<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    c: &ScalableContext,
    pasid: u32,
) -> Step<PasidInfo> {
    let haw = w.hw.haw;
    let (cap, ecap) = (w.hw.cap, w.hw.ecap);
    let mut fpd = c.fpd;
    let dir = PasidDirEntry(w.read(
        c.pasid_dir + u64::from(pasid >> 6) * 8,
        R::SM_PASID_DIR_ACCESS,
        fpd,
    )?);
    fpd |= dir.fpd();
    if !dir.present() {
        return fail(R::SM_PASID_DIR_NOT_PRESENT, fpd);
    }
    if dir.reserved(haw) {
        return fail(R::SM_PASID_DIR_RESERVED, fpd);
    }
    let at = dir.table() + u64::from(pasid & 0x3f) * 64;
    let mut q = [0u64; 8];
    for (i, v) in q.iter_mut().enumerate() {
        *v = w.read(at + 8 * i as u64, R::SM_PASID_ACCESS, fpd)?;
    }
    let pe = PasidEntry { q };
    fpd |= pe.fpd();
    if !pe.present() {
        return fail(R::SM_PASID_NOT_PRESENT, fpd);
    }
    if pe.reserved(haw) {
        return fail(R::SM_PASID_RESERVED, fpd);
    }
    let sl_levels = pe.aw() + 2;
    let fl_levels = 4 + pe.flpm();
    let sl_ok = ecap.slts() && cap.supports_levels(sl_levels);
    let fl_ok = ecap.flts() && (fl_levels == 4 || (fl_levels == 5 && cap.fl5lp()));
    let valid = match pe.pgtt() {
        Pgtt::FirstLevel => fl_ok,
        Pgtt::SecondLevel => sl_ok,
        Pgtt::Nested => ecap.nest() && fl_ok && sl_ok,
        Pgtt::PassThrough => ecap.pt(),
        Pgtt::Reserved(_) => false,
    };
    if !valid {
        return fail(R::SM_PASID_INVALID, fpd);
    }
    Ok(PasidInfo {
        did: pe.did(),
        fpd,
        pgtt: pe.pgtt(),
        sl: (pe.slptptr(), sl_levels),
        fl: (pe.flptptr(), fl_levels),
        slee: pe.slee(),
        pgsnp: pe.pgsnp(),
        sre: pe.sre(),
        ere: pe.ere(),
        nxe: pe.nxe(),
        wpe: pe.wpe(),
        smep: pe.smep(),
    })
}

/// The PASID entry, through the PASID cache.
fn pasid_info<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    source_id: u16,
    c: &ScalableContext,
    pasid: u32,
) -> Step<PasidInfo> {
    let key = PasidKey { source_id, pasid };
    if let Some(caches) = w.caches.as_deref_mut() {
        let hit = caches.pasid.get(&key).copied();
        w.stats.pasid.count(hit.is_some());
        match hit {
            Some(CachedPasid::Entry(p)) => return Ok(p),
            Some(CachedPasid::Fault(r)) => return fail(r, c.fpd),
            None => {}
        }
    }
    let fetched = fetch_pasid(w, c, pasid);
    let negative = w.hw.negative;
    if let Some(caches) = w.caches.as_deref_mut() {
        match fetched {
            Ok(p) => {
                caches.pasid.insert(key, CachedPasid::Entry(p));
            }
            Err(f) if negative && f.reason == R::SM_PASID_NOT_PRESENT => {
                caches.pasid.insert(key, CachedPasid::Fault(f.reason));
            }
            Err(_) => {}
        }
    }
    fetched
}

/// Translate through a scalable-mode context entry.
pub(super) fn translate<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    req: &Request,
    c: ScalableContext,
) -> Step<Translation> {
    let pasid = match req.pasid {
        Some(_) if !c.paside => return fail(R::SM_PASIDE_CLEAR, c.fpd),
        Some(p) if p > c.max_pasid => return fail(R::SM_PASID_TOO_LARGE, c.fpd),
        Some(p) => p,
        None => c.rid_pasid,
    };
    if req.at != AddressType::Untranslated && !c.dte {
        return fail(R::SM_DTE_CLEAR, c.fpd);
    }
    let p = pasid_info(w, req.source_id, &c, pasid)?;
    if req.at == AddressType::Translated {
        return Ok(identity(req, p.did, Via::PassThrough));
    }
    if req.pasid.is_some() {
        if req.access.contains(Access::PRIV) && !p.sre {
            return fail(R::SM_SRE_CLEAR, p.fpd);
        }
        if req.access.contains(Access::EXEC) && !p.ere {
            return fail(R::SM_ERE_CLEAR, p.fpd);
        }
    }
    let check = req.at != AddressType::TranslationRequest;
    let sl = |cache: bool| SlWalk {
        did: p.did,
        pasid,
        table: p.sl.0,
        levels: p.sl.1,
        fpd: p.fpd,
        codes: SCALABLE_CODES,
        slee: p.slee,
        cache,
        probed: false,
    };
    let (out, size, perm, leaf_snoop, via) = match p.pgtt {
        Pgtt::PassThrough => {
            let mut t = identity(req, p.did, Via::PassThrough);
            t.snoop |= p.pgsnp;
            return Ok(t);
        }
        Pgtt::SecondLevel => {
            let width = (12 + 9 * p.sl.1).min(w.hw.mgaw);
            if width < 64 && req.addr >> width != 0 {
                return fail(SCALABLE_CODES.beyond, p.fpd);
            }
            let leaf = w.sl_walk(&sl(true), req.addr, req.access, check)?;
            (
                leaf.address(req.addr),
                leaf.size(),
                leaf.perm,
                leaf.snoop && w.hw.ecap.sc(),
                leaf.via,
            )
        }
        Pgtt::FirstLevel | Pgtt::Nested => {
            let nested = p.pgtt == Pgtt::Nested;
            let fw = FlWalk {
                did: p.did,
                pasid,
                table: p.fl.0,
                levels: p.fl.1,
                fpd: p.fpd,
                nxe: p.nxe,
                wpe: p.wpe,
                smep: p.smep,
                stage2: nested.then(|| sl(false)),
            };
            let leaf = w.fl_walk(&fw, req.addr, req.access, check)?;
            (
                leaf.address(req.addr),
                leaf.size(),
                leaf.perm,
                false,
                leaf.via,
            )
        }
        Pgtt::Reserved(_) => {
            return Err(Failure {
                reason: R::SM_PASID_INVALID,
                fpd: p.fpd,
            })
        }
    };
    Ok(Translation {
        addr: out,
        page_size: size,
        perm,
        snoop: !req.no_snoop || leaf_snoop || p.pgsnp,
        did: p.did,
        via,
    })
}
