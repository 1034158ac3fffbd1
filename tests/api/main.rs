//! Integration tests: the real server on `127.0.0.1:0` with a real redb file, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod authentication;
mod authorizations;
mod authz_check;
mod authz_layer;
mod bad_input;
mod cli;
mod cli_audit;
mod cli_extensions;
mod cli_people;
mod cli_support;
mod cli_v1;
mod extensions;
mod fuzz;
mod fuzz_corpus;
mod legacy;
mod limits;
mod metrics;
mod people;
mod process;
mod seed;
mod sessions;
mod setup;
mod storage_faults;
mod tenants;
