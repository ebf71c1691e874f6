//! (area under construction)

use crate::scenario::Scenario;

/// The scenarios of this area.
pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
