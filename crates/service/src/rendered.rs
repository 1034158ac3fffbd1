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

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use model::{Id, WordMap};
use time::OffsetDateTime;

use crate::authorizations::Kind;

/// Answers kept at most per generation.
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

#[derive(Default)]
struct Kept {
    generation: u64,
    answers: WordMap<Id, Arc<Answer>>,
}

#[derive(Default)]
pub(crate) struct Answers(Mutex<Kept>);

impl Answers {
    /// The answer for `id` written from `generation`, if one was.
    pub(crate) fn get(&self, generation: u64, id: Id) -> Option<Arc<Answer>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.generation != generation {
            return None;
        }
        kept.answers.get(&id).cloned()
    }

    /// Keeps an answer written from `generation`. One from an older generation than the kept ones is dropped; a
    /// newer one replaces them all.
    pub(crate) fn keep(&self, generation: u64, id: Id, answer: Answer) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if generation < kept.generation {
            return;
        }
        if generation > kept.generation {
            kept.generation = generation;
            kept.answers.clear();
        }
        if kept.answers.len() < MAX_KEPT || kept.answers.contains_key(&id) {
            kept.answers.insert(id, Arc::new(answer));
        }
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
}
