//! Answers of `GET /api/v2/authorizations/{id}` (and of the v1 route) kept as written, for one generation of the
//! store.
//!
//! A written answer depends on the authorization's record and the names it shows (all read from one snapshot),
//! on its last use not yet written (kept beside it and compared on every hit), and on nothing else. A store whose
//! snapshots name their generation (redb: every commit starts a new one before it is acknowledged) lets an
//! answer written from generation `g` be reused only while snapshots are still taken at `g`: the commit that
//! changes the record, a name, or anything at all, starts `g + 1`, and every request that starts after that
//! commit was acknowledged takes a snapshot of `g + 1` or later, which finds nothing kept. So no answer is ever
//! older than the store a request sees. A store without generations (PostgreSQL, shared by replicas that cannot
//! know each other's commits) keeps nothing here.
//!
//! The caller's permissions are checked on every hit, against the IDs kept with the answer.
//!
//! Answers are kept per thread (each worker writes its own copy once per generation): one map shared by all
//! workers was locked by every GET, and its lock's cache line moved between the cores on each one.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use model::{Id, WordMap};
use time::OffsetDateTime;

use crate::authorizations::Kind;

/// Answers kept at most per thread and generation.
const MAX_KEPT: usize = 4096;

/// One written answer and what it was written from.
#[derive(Debug)]
pub(crate) struct Answer {
    pub kind: Kind,
    pub org_id: Id,
    pub user_id: Id,
    /// The unwritten last use the answer shows (if any): a newer one means writing it again.
    pub pending_use: Option<OffsetDateTime>,
    pub body: Bytes,
}

/// This thread's answers for one [`Answers`] and one generation.
struct Kept {
    owner: u64,
    generation: u64,
    answers: WordMap<Id, Rc<Answer>>,
}

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
}

/// The answers of one service (its threads' shares of them).
pub(crate) struct Answers {
    /// Names these answers among the other services of the process.
    owner: u64,
}

impl Default for Answers {
    fn default() -> Self {
        static OWNERS: AtomicU64 = AtomicU64::new(0);
        Self {
            owner: OWNERS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Answers {
    /// The answer for `id` this thread wrote from `generation`, if it did.
    pub(crate) fn get(&self, generation: u64, id: Id) -> Option<Rc<Answer>> {
        KEPT.with_borrow(|kept| {
            kept.as_ref()
                .filter(|k| k.owner == self.owner && k.generation == generation)
                .and_then(|k| k.answers.get(&id).cloned())
        })
    }

    /// Keeps an answer written from `generation`. One from an older generation than the kept ones is dropped; a
    /// newer one replaces them all.
    pub(crate) fn keep(&self, generation: u64, id: Id, answer: Answer) {
        KEPT.with_borrow_mut(|kept| {
            let current = match kept {
                Some(k) if k.owner == self.owner && k.generation == generation => k,
                Some(k) if k.owner == self.owner && k.generation > generation => return,
                _ => kept.insert(Kept {
                    owner: self.owner,
                    generation,
                    answers: WordMap::default(),
                }),
            };
            if current.answers.len() < MAX_KEPT || current.answers.contains_key(&id) {
                current.answers.insert(id, Rc::new(answer));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        let id = Id::new(1).unwrap();
        Answer {
            kind: Kind::V2,
            org_id: id,
            user_id: id,
            pending_use: None,
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn an_answer_serves_only_its_own_generation() {
        let answers = Answers::default();
        let id = Id::new(7).unwrap();
        answers.keep(3, id, answer("at 3"));
        assert_eq!(&*answers.get(3, id).unwrap().body, b"at 3");
        assert!(answers.get(4, id).is_none());
        assert!(answers.get(2, id).is_none());
        // A slow request that read generation 2 cannot put its answer back.
        answers.keep(2, id, answer("at 2"));
        assert_eq!(&*answers.get(3, id).unwrap().body, b"at 3");
        // A newer generation drops everything older.
        answers.keep(5, Id::new(8).unwrap(), answer("other at 5"));
        assert!(answers.get(3, id).is_none());
        assert!(answers.get(5, id).is_none());
    }

    #[test]
    fn each_service_and_each_thread_has_its_own_answers() {
        let (one, other) = (Answers::default(), Answers::default());
        let id = Id::new(7).unwrap();
        one.keep(3, id, answer("one's"));
        assert!(other.get(3, id).is_none(), "another service's answer");
        assert_eq!(&*one.get(3, id).unwrap().body, b"one's");
        std::thread::scope(|scope| {
            scope.spawn(|| assert!(one.get(3, id).is_none(), "kept on another thread"));
        });
        // Another service's answers take this thread's place; the first service writes its answer again.
        other.keep(3, id, answer("other's"));
        assert_eq!(&*other.get(3, id).unwrap().body, b"other's");
        assert!(one.get(3, id).is_none());
    }
}
