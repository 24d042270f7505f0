//! Pages computed from many rows, kept in memory while nothing they were computed from changed.
//!
//! The version is `rollup_changes`, a sequence that statement triggers move whenever feedback,
//! tags, rollups or accounts change (migrations 0007 and 0009). An entry is used only at the
//! version it was computed at, so every committed change shows at once. The one exception is a
//! read racing a change still in flight (the sequence moves before the change commits), so
//! entries also expire.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;

pub struct VersionedCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    max_age: Duration,
    max_entries: usize,
}

struct Entry<V> {
    version: i64,
    at: Instant,
    value: Arc<V>,
}

impl<K: Eq + Hash + Clone, V> VersionedCache<K, V> {
    /// Entries live at most `max_age` (which bounds the race above); at most `max_entries`
    /// keys are kept, the oldest going first.
    pub fn new(max_age: Duration, max_entries: usize) -> Self {
        VersionedCache {
            entries: Mutex::new(HashMap::new()),
            max_age,
            max_entries: max_entries.max(1),
        }
    }

    /// The value for `key` at the current version, computing (and keeping) it when missing.
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        pool: &PgPool,
        key: K,
        compute: F,
    ) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
        E: From<sqlx::Error>,
    {
        // Read before computing: a change committed meanwhile moves the version past this one.
        let version = super::db::rollup_version(pool).await?;
        if let Some(hit) = self.get(&key, version) {
            return Ok(hit);
        }
        let value = Arc::new(compute().await?);
        self.put(key, version, Arc::clone(&value));
        Ok(value)
    }

    fn get(&self, key: &K, version: i64) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| e.version == version && e.at.elapsed() < self.max_age)
            .map(|e| Arc::clone(&e.value))
    }

    fn put(&self, key: K, version: i64, value: Arc<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| e.version == version && e.at.elapsed() < self.max_age);
        if entries.len() >= self.max_entries
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_only_its_version_and_age() {
        let cache: VersionedCache<&str, i32> = VersionedCache::new(Duration::from_secs(60), 2);
        cache.put("a", 1, Arc::new(10));
        assert_eq!(cache.get(&"a", 1).as_deref(), Some(&10));
        assert_eq!(cache.get(&"a", 2), None, "a newer version misses");
        cache.put("b", 2, Arc::new(20));
        assert_eq!(
            cache.get(&"a", 1),
            None,
            "putting at a newer version drops older entries"
        );
        cache.put("c", 2, Arc::new(30));
        cache.put("d", 2, Arc::new(40));
        assert_eq!(cache.get(&"b", 2), None, "the oldest key goes when full");
        assert_eq!(cache.get(&"d", 2).as_deref(), Some(&40));

        let expired: VersionedCache<&str, i32> = VersionedCache::new(Duration::ZERO, 2);
        expired.put("a", 1, Arc::new(10));
        assert_eq!(expired.get(&"a", 1), None, "an expired entry misses");
    }
}
