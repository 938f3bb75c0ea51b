-- 001: organisations, users, sessions, login throttling, applications.
-- Times are Unix milliseconds UTC (0 = unset). Documents are the JSON of form.md as TEXT.

CREATE TABLE organisations (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT    NOT NULL,
    uscc                 TEXT    NOT NULL UNIQUE,
    kind                 TEXT    NOT NULL DEFAULT '',
    city_code            TEXT    NOT NULL DEFAULT '',
    disabled             INTEGER NOT NULL DEFAULT 0,
    sign_public_key      TEXT,
    sign_private_key_enc BLOB,
    created_at           BIGINT  NOT NULL
);

-- Usernames are stored lower-cased, so UNIQUE is case-insensitive.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL DEFAULT '',
    email                TEXT    NOT NULL DEFAULT '',
    phone                TEXT    NOT NULL DEFAULT '',
    role                 TEXT    NOT NULL,
    org_id               BIGINT  REFERENCES organisations(id),
    jurisdiction         TEXT    NOT NULL DEFAULT '',
    org_admin            INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    password_hash        TEXT    NOT NULL DEFAULT '',
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at           BIGINT  NOT NULL,
    last_login_at        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users (org_id);
CREATE INDEX users_role_jurisdiction ON users (role, jurisdiction);

-- A session's id is the SHA-256 (hex) of the cookie token.
CREATE TABLE sessions (
    id         TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT   NOT NULL,
    address    TEXT   NOT NULL DEFAULT '',
    user_agent TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    key TEXT   NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

-- The list and filter columns are denormalised from the document.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    program_id    TEXT    NOT NULL,
    org_id        BIGINT  NOT NULL REFERENCES organisations(id),
    city_code     TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL,
    version       BIGINT  NOT NULL,
    document      TEXT    NOT NULL,
    snapshot      TEXT,
    snapshot_hash TEXT    NOT NULL DEFAULT '',
    platform_name TEXT    NOT NULL DEFAULT '',
    verdict       TEXT    NOT NULL DEFAULT '',
    created_by    BIGINT  REFERENCES users(id),
    updated_by    BIGINT  REFERENCES users(id),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    submitted_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX applications_program_updated ON applications (program_id, updated_at);
CREATE INDEX applications_org ON applications (org_id);
CREATE INDEX applications_city_state ON applications (city_code, state);
CREATE INDEX applications_state ON applications (state);
CREATE INDEX applications_updated ON applications (updated_at);

-- The domains (申报类别) of an application, one row each, in the form's order
-- (position), so that lists can filter on one domain with an index.
CREATE TABLE application_domains (
    application_id BIGINT  NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    domain         TEXT    NOT NULL,
    PRIMARY KEY (application_id, domain)
);
CREATE INDEX application_domains_domain ON application_domains (domain, application_id);

-- Every saved version of every document: nothing an applicant typed is lost.
CREATE TABLE application_versions (
    application_id BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    document       TEXT   NOT NULL,
    user_id        BIGINT REFERENCES users(id),
    saved_at       BIGINT NOT NULL,
    PRIMARY KEY (application_id, version)
);

CREATE TABLE transitions (
    id             INTEGER PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    from_state     TEXT    NOT NULL,
    to_state       TEXT    NOT NULL,
    actor_id       BIGINT  REFERENCES users(id),
    actor_role     TEXT    NOT NULL DEFAULT '',
    actor_name     TEXT    NOT NULL DEFAULT '',
    reason         TEXT    NOT NULL DEFAULT '',
    data           TEXT,
    at             BIGINT  NOT NULL
);
CREATE INDEX transitions_application ON transitions (application_id, id);
