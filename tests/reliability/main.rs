//! Reliability tests (issue 6), each against the real `influx-authz` binary on a real redb file in a temp dir:
//!
//! - [`crash`]: concurrent clients create, patch and delete tokens while the server is SIGKILLed at random
//!   moments and restarted on the same file; after each restart the store must agree with what the clients saw
//!   acknowledged.
//! - [`revocation`]: tokens in continuous use are deleted or deactivated; no request that starts after the
//!   revocation's response arrived may be accepted with that token.
//!
//! Short forms by default (`cargo test -p tests --test reliability`); long forms with `RELIABILITY_KILLS=300
//! RELIABILITY_REVOCATIONS=10000`. `RELIABILITY_SEED` replays a run's random choices (the seed is printed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod crash;
mod revocation;
