//! Group commit: writers that arrive while a commit is on the disk share the next write transaction and its one
//! durable commit (one `fdatasync`), instead of queueing for one commit each.
//!
//! There is no writer thread. The first writer to find nobody committing becomes the leader: it takes every queued
//! write (its own among them), applies them in order in one transaction, commits, and hands each writer its own
//! result. Writers that queued meanwhile wait; when the leader is done, one of them leads the next batch. A write
//! is answered only after the commit that holds it has returned, so "acknowledged" still means "durable".
//!
//! A write that fails inside a batch (a conflict, say) must not take the others down with it, and must leave
//! nothing behind. redb cannot roll back part of a transaction (a savepoint must be taken before the first change),
//! so the batch is dropped uncommitted and each of its writes is run again in a transaction of its own: the
//! failing one fails alone, the others commit. That is why a write is `FnMut`: it may run twice, and must not
//! consume what it captured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use redb::WriteTransaction;

use crate::{Error, RedbStore};

/// One queued write: applies its changes to the transaction it is given and keeps its own result.
pub(crate) type Write = Box<dyn FnMut(&WriteTransaction) -> Result<(), Error> + Send>;

/// Most writes one transaction takes; the rest wait for the next.
const MAX_BATCH: usize = 256;

#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    changed: Condvar,
    /// Transactions committed, and the writes they held: their ratio is the batching achieved.
    transactions: AtomicU64,
    writes: AtomicU64,
}

/// How much group commit batched, since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitCounts {
    /// Write transactions committed through group commit.
    pub transactions: u64,
    /// Writes those transactions held.
    pub writes: u64,
}

#[derive(Default)]
struct State {
    queue: Vec<(u64, Write)>,
    /// Outcomes not yet collected by their writers, by ticket.
    done: Vec<(u64, Result<(), Error>)>,
    leading: bool,
    next_ticket: u64,
}

/// Why a shared transaction was not committed.
pub(crate) enum BatchFailure {
    /// One write failed; nothing was committed, and the writes are run again one by one.
    Write,
    /// Beginning or committing the transaction failed: every write of the batch gets this error.
    Transaction(Error),
}

impl GroupCommit {
    /// Queues `write` and returns once the transaction holding it has committed (or failed).
    pub(crate) fn submit(&self, store: &RedbStore, write: Write) -> Result<(), Error> {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push((ticket, write));
        loop {
            if let Some(at) = state.done.iter().position(|(t, _)| *t == ticket) {
                return state.done.swap_remove(at).1;
            }
            if state.leading {
                state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.leading = true;
            let take = state.queue.len().min(MAX_BATCH);
            let batch: Vec<(u64, Write)> = state.queue.drain(..take).collect();
            drop(state);
            let mut lead = Lead {
                owner: self,
                tickets: batch.iter().map(|(t, _)| *t).collect(),
                outcomes: Vec::new(),
            };
            let mut writes: Vec<Write> = batch.into_iter().map(|(_, w)| w).collect();
            lead.outcomes = run(store, &mut writes, self);
            drop(lead); // publishes the outcomes and wakes the waiting writers
            state = self.lock();
        }
    }

    pub(crate) fn counts(&self) -> CommitCounts {
        CommitCounts {
            transactions: self.transactions.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// Writes waiting for a leader (for tests that arrange a batch).
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    fn count(&self, transactions: u64, writes: u64) {
        self.transactions.fetch_add(transactions, Ordering::Relaxed);
        self.writes.fetch_add(writes, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A leader's batch in flight. Dropping it publishes the outcomes, and, should the leader unwind half-way, fails
/// the writes it had not answered, so that no writer waits forever and a next leader can take over.
struct Lead<'a> {
    owner: &'a GroupCommit,
    tickets: Vec<u64>,
    outcomes: Vec<Result<(), Error>>,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut outcomes = std::mem::take(&mut self.outcomes).into_iter();
        let mut state = self.owner.lock();
        for ticket in self.tickets.drain(..) {
            let outcome = outcomes
                .next()
                .unwrap_or_else(|| Err(Error::Failed("the write was interrupted".into())));
            state.done.push((ticket, outcome));
        }
        state.leading = false;
        drop(state);
        self.owner.changed.notify_all();
    }
}

fn run(store: &RedbStore, writes: &mut [Write], counts: &GroupCommit) -> Vec<Result<(), Error>> {
    let alone = |write: &mut Write| {
        let outcome = store.commit_alone(write);
        if outcome.is_ok() {
            counts.count(1, 1);
        }
        outcome
    };
    if let [write] = writes {
        return vec![alone(write)];
    }
    match store.commit_together(writes) {
        Ok(()) => {
            counts.count(1, writes.len() as u64);
            writes.iter().map(|_| Ok(())).collect()
        }
        Err(BatchFailure::Transaction(error)) => writes.iter().map(|_| Err(error.replicate())).collect(),
        Err(BatchFailure::Write) => writes.iter_mut().map(alone).collect(),
    }
}
