//! A set-associative cache with a choice of replacement, the building block of every
//! cache of the unit.
//!
//! Entries stay until they are evicted or removed: nothing here looks at memory, so a
//! stale entry is returned exactly as hardware returns it.

/// Which way of a full set is evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Replacement {
    /// The least recently used.
    #[default]
    Lru,
    /// The oldest inserted.
    Fifo,
    /// A pseudo-random way (deterministic sequence, so runs repeat).
    Random,
}

/// The shape of a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Number of sets (1 = fully associative).
    pub sets: usize,
    /// Ways per set.
    pub ways: usize,
    /// Replacement policy.
    pub replacement: Replacement,
}

impl Geometry {
    /// A fully associative cache of `entries` entries with LRU replacement.
    pub const fn fully_associative(entries: usize) -> Self {
        Geometry {
            sets: 1,
            ways: entries,
            replacement: Replacement::Lru,
        }
    }

    /// `sets` × `ways`, LRU.
    pub const fn new(sets: usize, ways: usize) -> Self {
        Geometry {
            sets,
            ways,
            replacement: Replacement::Lru,
        }
    }

    /// Total entries.
    pub const fn capacity(&self) -> usize {
        self.sets * self.ways
    }
}

/// A key that knows which set it belongs to.
pub trait CacheKey: Copy + Eq {
    /// Bits used to pick the set; well mixed.
    fn set_hash(&self) -> u64;
}

#[derive(Debug, Clone)]
struct Slot<K, V> {
    key: K,
    value: V,
    stamp: u64,
}

/// The cache.
#[derive(Debug, Clone)]
pub struct SetAssoc<K, V> {
    geometry: Geometry,
    slots: Vec<Option<Slot<K, V>>>,
    clock: u64,
    rng: u64,
    len: usize,
    /// `sets - 1` when the set count is a power of two (a mask instead of a division).
    set_mask: Option<u64>,
}

/// Mix bits so that nearby keys (consecutive pages) spread over the sets.
#[inline]
pub fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

impl<K: CacheKey, V> SetAssoc<K, V> {
    /// An empty cache. A geometry with no sets or no ways caches nothing.
    pub fn new(geometry: Geometry) -> Self {
        let mut slots = Vec::new();
        slots.resize_with(geometry.capacity(), || None);
        SetAssoc {
            geometry,
            slots,
            clock: 0,
            rng: 0x2545_F491_4F6C_DD1D,
            len: 0,
            set_mask: geometry
                .sets
                .max(1)
                .is_power_of_two()
                .then(|| geometry.sets.max(1) as u64 - 1),
        }
    }

    /// The geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Live entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the cache can hold anything at all.
    pub fn enabled(&self) -> bool {
        !self.slots.is_empty()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn set_range(&self, key: &K) -> std::ops::Range<usize> {
        let h = key.set_hash();
        let set = match self.set_mask {
            Some(m) => (h & m) as usize,
            None => (h % self.geometry.sets.max(1) as u64) as usize,
        };
        let w = self.geometry.ways;
        set * w..set * w + w
    }

    /// Look `key` up, counting it as a use.
    #[inline]
    pub fn get(&mut self, key: &K) -> Option<&V> {
        if self.slots.is_empty() {
            return None;
        }
        let range = self.set_range(key);
        self.clock += 1;
        let clock = self.clock;
        let lru = self.geometry.replacement == Replacement::Lru;
        let index = range
            .clone()
            .find(|&i| matches!(&self.slots[i], Some(s) if s.key == *key))?;
        let slot = self.slots[index].as_mut()?;
        if lru {
            slot.stamp = clock;
        }
        Some(&slot.value)
    }

    /// Look `key` up without touching replacement state.
    pub fn peek(&self, key: &K) -> Option<&V> {
        let range = self.set_range(key);
        self.slots
            .get(range)?
            .iter()
            .flatten()
            .find(|s| s.key == *key)
            .map(|s| &s.value)
    }

    /// Insert (or replace) `key`; returns the entry evicted to make room, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
        if self.slots.is_empty() {
            return None;
        }
        let range = self.set_range(&key);
        if range.is_empty() {
            return None;
        }
        self.clock += 1;
        let stamp = self.clock;
        let set = self.slots.get_mut(range)?;
        if let Some(s) = set.iter_mut().flatten().find(|s| s.key == key) {
            s.value = value;
            s.stamp = stamp;
            return None;
        }
        if let Some(free) = set.iter_mut().find(|s| s.is_none()) {
            *free = Some(Slot { key, value, stamp });
            self.len += 1;
            return None;
        }
        let victim = match self.geometry.replacement {
            Replacement::Lru | Replacement::Fifo => set
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.as_ref().map_or(0, |s| s.stamp))
                .map_or(0, |(i, _)| i),
            Replacement::Random => {
                // xorshift64
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                (self.rng % set.len() as u64) as usize
            }
        };
        let old = set.get_mut(victim)?.replace(Slot { key, value, stamp });
        old.map(|s| (s.key, s.value))
    }

    /// Remove `key`; returns whether it was there.
    #[inline]
    pub fn remove(&mut self, key: &K) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let range = self.set_range(key);
        let Some(set) = self.slots.get_mut(range) else {
            return false;
        };
        match set
            .iter_mut()
            .find(|s| matches!(s, Some(s) if s.key == *key))
        {
            Some(slot) => {
                *slot = None;
                self.len -= 1;
                true
            }
            None => false,
        }
    }

    /// Remove every entry for which `keep` is false; returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) -> usize {
        let mut removed = 0;
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|s| !keep(&s.key, &s.value)) {
                *slot = None;
                removed += 1;
            }
        }
        self.len -= removed;
        removed
    }

    /// Remove everything.
    pub fn clear(&mut self) -> usize {
        let n = self.len;
        self.slots.iter_mut().for_each(|s| *s = None);
        self.len = 0;
        n
    }

    /// Every live entry.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots.iter().flatten().map(|s| (&s.key, &s.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct K(u64);
    impl CacheKey for K {
        fn set_hash(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn lru_evicts_the_least_recently_used_way() {
        let mut c = SetAssoc::new(Geometry::new(1, 2));
        c.insert(K(1), 'a');
        c.insert(K(2), 'b');
        assert_eq!(c.get(&K(1)), Some(&'a'));
        assert_eq!(c.insert(K(3), 'c'), Some((K(2), 'b')));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn fifo_ignores_uses() {
        let mut c = SetAssoc::new(Geometry {
            replacement: Replacement::Fifo,
            ..Geometry::new(1, 2)
        });
        c.insert(K(1), 'a');
        c.insert(K(2), 'b');
        c.get(&K(1));
        assert_eq!(c.insert(K(3), 'c'), Some((K(1), 'a')));
    }

    #[test]
    fn sets_partition_keys_and_retain_removes() {
        let mut c = SetAssoc::new(Geometry::new(4, 1));
        for k in 0..8 {
            c.insert(K(k), k);
        }
        assert_eq!(c.len(), 4);
        assert_eq!(c.peek(&K(7)), Some(&7));
        assert_eq!(c.retain(|k, _| k.0 % 2 == 0), 2);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn an_empty_geometry_caches_nothing() {
        let mut c: SetAssoc<K, u8> = SetAssoc::new(Geometry::new(0, 0));
        assert_eq!(c.insert(K(1), 1), None);
        assert_eq!(c.get(&K(1)), None);
    }
}
