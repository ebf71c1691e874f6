//! The unit's caches.

pub mod set_assoc;
