-- 002: audit trail, authorities and their seals, attachments, notifications,
-- deadline overrides. Times are Unix milliseconds UTC (0 = unset).

-- The audit trail: append-only and hash-chained (see seal.ChainRecord). seq numbers
-- the records 1, 2, 3, … without gaps; it is assigned inside the appending
-- transaction. id is the physical order of insertion, which is the order the chain
-- is verified in, so that records whose seq was swapped show up as reordered.
-- actor_id is the user id of an actor written "user:ID …", for filtering.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    seq       BIGINT  NOT NULL UNIQUE,
    at        BIGINT  NOT NULL,
    actor_id  BIGINT,
    actor     TEXT    NOT NULL DEFAULT '',
    role      TEXT    NOT NULL DEFAULT '',
    address   TEXT    NOT NULL DEFAULT '',
    object    TEXT    NOT NULL DEFAULT '',
    action    TEXT    NOT NULL,
    result    TEXT    NOT NULL,
    detail    TEXT,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_object ON audit_log (object, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- Nobody changes the trail, not even through SQL that forgets the rule.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;

-- The authorities (city and provincial bureaus, the ministry), each with its SM2
-- seal: the public key (PEM) and the private key sealed with SM4 under the master key.
CREATE TABLE authorities (
    id                   INTEGER PRIMARY KEY,
    role                 TEXT    NOT NULL,
    jurisdiction         TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    sign_public_key      TEXT    NOT NULL,
    sign_private_key_enc BLOB    NOT NULL,
    created_at           BIGINT  NOT NULL,
    UNIQUE (role, jurisdiction)
);

-- Evidence files of applications. The content lives in the files store under its
-- SHA-256; removing an attachment only sets removed_at, because submitted
-- snapshots refer to the content by hash.
CREATE TABLE attachments (
    id             INTEGER PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    category       TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    filename       TEXT    NOT NULL DEFAULT '',
    size           BIGINT  NOT NULL,
    kind           TEXT    NOT NULL DEFAULT '',
    media_type     TEXT    NOT NULL DEFAULT '',
    uploaded_by    BIGINT  REFERENCES users(id),
    uploaded_at    BIGINT  NOT NULL,
    removed_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX attachments_application ON attachments (application_id, removed_at, id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- In-app notifications, the kinds a person muted for e-mail, and the keys of
-- reminders already sent (so that each is sent once, whatever the instances).
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    link       TEXT    NOT NULL DEFAULT '',
    created_at BIGINT  NOT NULL,
    read_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);

CREATE TABLE notification_mutes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind    TEXT   NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE notification_sent (
    key     TEXT   PRIMARY KEY,
    sent_at BIGINT NOT NULL
);

-- Deadlines set by an administrator for one program, overriding the program
-- definition's. Every change is kept; the latest (highest id) wins.
CREATE TABLE program_deadlines (
    id         INTEGER PRIMARY KEY,
    program_id TEXT    NOT NULL,
    applicant  TEXT    NOT NULL,
    city       TEXT    NOT NULL,
    set_by     BIGINT  REFERENCES users(id),
    set_at     BIGINT  NOT NULL,
    reason     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX program_deadlines_program ON program_deadlines (program_id, id);
