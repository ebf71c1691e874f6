//! The catalog, one file per area. Every scenario id is unique and starts with its
//! area's name.

mod bridges;
mod caching;
mod commands;
mod dma_faults;
mod driver;
mod ir;
mod legacy;
mod pmr;
mod ported;
mod qi;
mod queue_errors;
mod recording;
mod registers;
mod scalable;
mod snoop;
mod wait;

use crate::scenario::Scenario;

/// Every scenario, in area order.
pub fn all() -> Vec<Scenario> {
    let mut v = Vec::new();
    v.extend(registers::scenarios());
    v.extend(commands::scenarios());
    v.extend(legacy::scenarios());
    v.extend(scalable::scenarios());
    v.extend(dma_faults::scenarios());
    v.extend(recording::scenarios());
    v.extend(caching::scenarios());
    v.extend(qi::scenarios());
    v.extend(wait::scenarios());
    v.extend(queue_errors::scenarios());
    v.extend(ir::scenarios());
    v.extend(snoop::scenarios());
    v.extend(pmr::scenarios());
    v.extend(bridges::scenarios());
    v.extend(ported::scenarios());
    v.extend(driver::scenarios());
    v
}

/// The scenarios whose id contains `filter` (all when empty).
pub fn filtered(filter: &str) -> Vec<Scenario> {
    all()
        .into_iter()
        .filter(|s| s.id.contains(filter))
        .collect()
}
