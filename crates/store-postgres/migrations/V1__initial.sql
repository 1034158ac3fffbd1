-- influx-authz's first schema. IDs are the server's 64-bit IDs with the top bit flipped (so that bigint order is
-- ID order); records are their JSON, kept as written (`json`, not `jsonb`, which cannot hold the \u0000 a name may
-- have); names are their UTF-8 bytes (text cannot hold a NUL either), unique by their SHA-256 (a btree entry is
-- limited to ~2.7 kB, a name is not); times are nanoseconds since the Unix epoch.

CREATE TABLE users (
    id bigint PRIMARY KEY,
    name bytea NOT NULL,
    record json NOT NULL
);
CREATE UNIQUE INDEX users_name_unique ON users (sha256(name));

CREATE TABLE orgs (
    id bigint PRIMARY KEY,
    name bytea NOT NULL,
    record json NOT NULL
);
CREATE UNIQUE INDEX orgs_name_unique ON orgs (sha256(name));

CREATE TABLE buckets (
    id bigint PRIMARY KEY,
    org_id bigint NOT NULL,
    name bytea NOT NULL,
    record json NOT NULL
);
CREATE UNIQUE INDEX buckets_org_name_unique ON buckets (org_id, sha256(name));
CREATE INDEX buckets_by_org ON buckets (org_id, id);

-- role: 0 member, 1 owner.
CREATE TABLE org_members (
    org_id bigint NOT NULL,
    user_id bigint NOT NULL,
    role smallint NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_by_user ON org_members (user_id, org_id);

-- token_hash: SHA-256 of the token. Never the plaintext (which the record keeps only with hashing off).
CREATE TABLE authorizations (
    id bigint PRIMARY KEY,
    token_hash bytea NOT NULL CONSTRAINT authorizations_token_unique UNIQUE,
    user_id bigint NOT NULL,
    org_id bigint NOT NULL,
    has_plaintext boolean NOT NULL,
    record json NOT NULL
);
CREATE INDEX authorizations_by_user ON authorizations (user_id, id);
CREATE INDEX authorizations_by_org ON authorizations (org_id, id);
CREATE INDEX authorizations_with_plaintext ON authorizations (id) WHERE has_plaintext;

-- Apart from the record, so that the background flush of last uses writes a few bytes per token.
CREATE TABLE authorization_last_used (
    id bigint PRIMARY KEY REFERENCES authorizations (id) ON DELETE CASCADE,
    at_nanos bigint NOT NULL
);

-- key_hash: SHA-256 of the session key.
CREATE TABLE sessions (
    key_hash bytea PRIMARY KEY,
    record json NOT NULL
);

-- The audit trail: one log for every replica, numbered by one sequence, ordered by (time, number).
CREATE SEQUENCE audit_sequence;
CREATE TABLE audit (
    id bigint PRIMARY KEY,
    at_nanos bigint NOT NULL,
    entry json NOT NULL
);
CREATE INDEX audit_by_time ON audit (at_nanos, id);

-- Each replica takes a number at start, for IDs that do not collide with another replica's.
CREATE SEQUENCE replica_nodes;
