//! The warm cache of a long-lived process (one Lambda execution
//! environment): repository endpoints for the life of the process, tokens
//! while they meet the [`MinTokenLife`] rule. The rule itself is pure and lives
//! in [`glue_codeartifact_domain::token_cache`]; this wraps it for sharing
//! between invocations.
//!
//! The CLI does not use it: each CLI run mints its own token.

use std::sync::{
    Mutex, MutexGuard, PoisonError,
    atomic::{AtomicU64, Ordering},
};

use glue_codeartifact_domain::token_cache::{MinTokenLife, TokenCache};

/// A [`TokenCache`] behind a lock, shared by the invocations of one process.
///
/// The lock is never held across an AWS call, so concurrent invocations
/// (if any) never wait on each other's network round trips; two concurrent
/// misses both mint, and the later token replaces the earlier one.
#[derive(Debug)]
pub struct WarmCache {
    inner: Mutex<TokenCache>,
    hits: AtomicU64,
}

impl WarmCache {
    /// An empty cache applying `min_token_life`.
    pub fn new(min_token_life: MinTokenLife) -> Self {
        Self {
            inner: Mutex::new(TokenCache::new(min_token_life)),
            hits: AtomicU64::new(0),
        }
    }

    /// The rule the cache applies.
    pub fn min_token_life(&self) -> MinTokenLife {
        self.lock().min_token_life()
    }

    /// How many starts were served a cached token since the last call;
    /// resets the count (the Lambda reports it per invocation as a metric).
    pub fn take_token_hits(&self) -> u64 {
        self.hits.swap(0, Ordering::Relaxed)
    }

    pub(crate) fn count_token_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, TokenCache> {
        // The cache holds no invariant that a panic half-way could break
        // (each method is one push or retain), so a poisoned lock is used.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
