//! Legacy mode: root entry → context entry → second-level tables.

use super::{fail, identity, SlWalk, Step, Walker, LEGACY_CODES};
use crate::cache::context::{CachedContext, LegacyContext};
use crate::cache::iotlb::NO_PASID;
use crate::fault::FaultReason as R;
use crate::memory::GuestMemory;
use crate::request::{AddressType, Request, Translation, Via};
use crate::tables::{ContextEntry, RootEntry, TranslationType};

/// Read and check the root and context entries of `source_id`.
pub(super) fn fetch_context<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    source_id: u16,
) -> Step<CachedContext> {
    let haw = w.hw.haw;
    let (bus, devfn) = (u64::from(source_id >> 8), u64::from(source_id & 0xff));
    let at = w.hw.root.addr + bus * 16;
    let root = RootEntry {
        lo: w.read(at, R::ROOT_TABLE_INVALID, false)?,
        hi: w.read(at + 8, R::ROOT_TABLE_INVALID, false)?,
    };
    if !root.present() {
        return fail(R::ROOT_NOT_PRESENT, false);
    }
    if root.reserved(haw) {
        return fail(R::ROOT_RESERVED, false);
    }
    let at = root.ctp() + devfn * 16;
    let ce = ContextEntry {
        lo: w.read(at, R::CONTEXT_TABLE_INVALID, false)?,
        hi: w.read(at + 8, R::CONTEXT_TABLE_INVALID, false)?,
    };
    // FPD is honoured whatever the present bit says (spec §9.3).
    let fpd = ce.fpd();
    if !ce.present() {
        return fail(R::CONTEXT_NOT_PRESENT, fpd);
    }
    if ce.reserved(haw) {
        return fail(R::CONTEXT_RESERVED, fpd);
    }
    let tt = ce.tt();
    let levels = ce.aw() + 2;
    let valid = match tt {
        TranslationType::Untranslated => w.hw.cap.supports_levels(levels),
        TranslationType::All => w.hw.ecap.dt() && w.hw.cap.supports_levels(levels),
        TranslationType::PassThrough => w.hw.ecap.pt(),
        TranslationType::Reserved => false,
    };
    if !valid {
        return fail(R::CONTEXT_INVALID, fpd);
    }
    Ok(CachedContext::Legacy(LegacyContext {
        did: ce.did(),
        fpd,
        tt,
        slptptr: ce.slptptr(),
        levels,
    }))
}

/// Translate through a legacy context entry. `probed`: the caller already looked in
/// the IOTLB and missed (or found an entry lacking the rights, which the walk
/// reproduces as the fault).
pub(super) fn translate<M: GuestMemory + ?Sized>(
    w: &mut Walker<'_, M>,
    req: &Request,
    c: LegacyContext,
    probed: bool,
) -> Step<Translation> {
    if req.pasid.is_some() {
        // Requests with PASID are not supported in legacy mode (RTA.2).
        return fail(R::SM_TTM_PASID, false);
    }
    match (req.at, c.tt) {
        (AddressType::Untranslated, _) => {}
        (_, TranslationType::All) => {
            if req.at == AddressType::Translated {
                return Ok(identity(req, c.did, Via::PassThrough));
            }
        }
        _ => return fail(R::TRANSLATION_TYPE, c.fpd),
    }
    if c.tt == TranslationType::PassThrough {
        return Ok(identity(req, c.did, Via::PassThrough));
    }
    let agaw = 12 + 9 * c.levels;
    let width = agaw.min(w.hw.mgaw);
    if width < 64 && req.addr >> width != 0 {
        return fail(LEGACY_CODES.beyond, c.fpd);
    }
    let walk = SlWalk {
        did: c.did,
        pasid: NO_PASID,
        table: c.slptptr,
        levels: c.levels,
        fpd: c.fpd,
        codes: LEGACY_CODES,
        slee: false,
        cache: true,
        probed,
    };
    let check = req.at != AddressType::TranslationRequest;
    let leaf = w.sl_walk(&walk, req.addr, req.access, check)?;
    Ok(Translation {
        addr: leaf.address(req.addr),
        page_size: leaf.size(),
        perm: leaf.perm,
        snoop: !req.no_snoop || (w.hw.ecap.sc() && leaf.snoop),
        did: c.did,
        via: leaf.via,
    })
}
