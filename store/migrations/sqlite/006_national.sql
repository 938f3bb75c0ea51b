-- 006: the national stage (issue 8) and the ratings and removals of issue 9: the
-- expert pool, expert assignments with sealed scores, committee decisions, public
-- notices (公示) with objections and their files, the public directory of listed
-- platforms and its star rating history. Times are Unix milliseconds UTC (0 = unset);
-- lists and maps are JSON as TEXT. A round is "selection" (the national
-- evaluation) or "annual-YYYY" (the evaluation of annual reports on year YYYY).

-- The ministry's expert pool. user_id is the expert's login (role expert), if any:
-- one expert record per login. domains: JSON array of domain keys; relations: JSON
-- array of national.Relation (declared relations with organisations).
CREATE TABLE experts (
    id         INTEGER PRIMARY KEY,
    program_id TEXT    NOT NULL,
    user_id    BIGINT  REFERENCES users(id),
    name       TEXT    NOT NULL,
    org_name   TEXT    NOT NULL DEFAULT '',
    org_uscc   TEXT    NOT NULL DEFAULT '',
    city_code  TEXT    NOT NULL DEFAULT '',
    domains    TEXT    NOT NULL DEFAULT '[]',
    relations  TEXT    NOT NULL DEFAULT '[]',
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX experts_program_name ON experts (program_id, name, id);
CREATE UNIQUE INDEX experts_user ON experts (user_id) WHERE user_id IS NOT NULL;

-- One expert's assignment to one application in one round, the declaration, and
-- once scored the sealed score: points and comments (JSON objects by criterion),
-- total, digest (SM3 of the canonical score, national.SealedScore), scored_at and
-- sealed_at (the exact instant the digest covers, RFC 3339 with nanoseconds).
-- state: assigned → accepted → scored, assigned → conflict, assigned/accepted →
-- dropped. An expert has at most one live (not dropped, not conflict) assignment
-- per round and application.
CREATE TABLE review_assignments (
    id              INTEGER PRIMARY KEY,
    program_id      TEXT    NOT NULL,
    round           TEXT    NOT NULL,
    application_id  BIGINT  NOT NULL REFERENCES applications(id),
    expert_id       BIGINT  NOT NULL REFERENCES experts(id),
    state           TEXT    NOT NULL
        CHECK (state IN ('assigned', 'accepted', 'conflict', 'scored', 'dropped')),
    manual          INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    assigned_by     BIGINT  REFERENCES users(id),
    assigned_at     BIGINT  NOT NULL,
    conflict_reason TEXT    NOT NULL DEFAULT '',
    declared_at     BIGINT  NOT NULL DEFAULT 0,
    drop_reason     TEXT    NOT NULL DEFAULT '',
    dropped_at      BIGINT  NOT NULL DEFAULT 0,
    points          TEXT,
    comments        TEXT,
    total           REAL    NOT NULL DEFAULT 0,
    digest          TEXT    NOT NULL DEFAULT '',
    scored_at       BIGINT  NOT NULL DEFAULT 0,
    sealed_at       TEXT    NOT NULL DEFAULT '',
    CHECK (state <> 'scored' OR (points IS NOT NULL AND comments IS NOT NULL AND digest <> '' AND scored_at > 0))
);
CREATE UNIQUE INDEX review_assignments_live ON review_assignments (round, application_id, expert_id)
    WHERE state NOT IN ('dropped', 'conflict');
CREATE INDEX review_assignments_round_app ON review_assignments (program_id, round, application_id, id);
CREATE INDEX review_assignments_expert ON review_assignments (expert_id, round, id);

-- A sealed score is final: nobody changes or deletes a scored assignment, not even
-- through SQL that forgets the rule.
CREATE TRIGGER review_assignments_scored_no_update BEFORE UPDATE ON review_assignments
    WHEN OLD.state = 'scored'
BEGIN
    SELECT RAISE(ABORT, 'review_assignments: a scored assignment is final: UPDATE refused');
END;
CREATE TRIGGER review_assignments_scored_no_delete BEFORE DELETE ON review_assignments
    WHEN OLD.state = 'scored'
BEGIN
    SELECT RAISE(ABORT, 'review_assignments: a scored assignment is final: DELETE refused');
END;

-- The evaluation committee's decisions: every decision is kept, the latest (highest
-- id) per round and application counts. score is the aggregate and domain_rank the
-- rank in its domain at the time (0 unknown).
CREATE TABLE committee_decisions (
    id             INTEGER PRIMARY KEY,
    program_id     TEXT    NOT NULL,
    round          TEXT    NOT NULL,
    application_id BIGINT  NOT NULL REFERENCES applications(id),
    outcome        TEXT    NOT NULL CHECK (outcome IN ('recommend', 'not_recommend')),
    reason         TEXT    NOT NULL DEFAULT '',
    score          REAL    NOT NULL DEFAULT 0,
    domain_rank    INTEGER NOT NULL DEFAULT 0,
    decided_by     BIGINT  REFERENCES users(id),
    decided_at     BIGINT  NOT NULL
);
CREATE INDEX committee_decisions_round ON committee_decisions (program_id, round, application_id, id);

-- Public notices (公示) of the proposed list. application_ids: JSON array. At most
-- one notice per program and round is open.
CREATE TABLE public_notices (
    id              INTEGER PRIMARY KEY,
    program_id      TEXT    NOT NULL,
    round           TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL DEFAULT '',
    application_ids TEXT    NOT NULL DEFAULT '[]',
    state           TEXT    NOT NULL CHECK (state IN ('open', 'published')),
    starts_at       BIGINT  NOT NULL,
    ends_at         BIGINT  NOT NULL,
    created_by      BIGINT  REFERENCES users(id),
    created_at      BIGINT  NOT NULL,
    published_at    BIGINT  NOT NULL DEFAULT 0,
    published_by    BIGINT  REFERENCES users(id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX public_notices_program ON public_notices (program_id, id);
CREATE UNIQUE INDEX public_notices_open ON public_notices (program_id, round) WHERE state = 'open';

-- Objections raised during a notice and their handling (outcome '' while open).
-- client_key is an HMAC of the sender's address (never the address), for rate
-- limiting across instances.
CREATE TABLE objections (
    id             INTEGER PRIMARY KEY,
    notice_id      BIGINT  NOT NULL REFERENCES public_notices(id),
    application_id BIGINT  NOT NULL REFERENCES applications(id),
    name           TEXT    NOT NULL,
    contact        TEXT    NOT NULL,
    grounds        TEXT    NOT NULL,
    client_key     TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    outcome        TEXT    NOT NULL DEFAULT ''
        CHECK (outcome IN ('', 'upheld', 'rejected', 'withdrawn')),
    reason         TEXT    NOT NULL DEFAULT '',
    handled_by     BIGINT  REFERENCES users(id),
    handled_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX objections_notice ON objections (notice_id, outcome, id);
CREATE INDEX objections_client ON objections (client_key, created_at);

-- The files of an objection; the content is in the files store under sha256.
CREATE TABLE objection_files (
    id           INTEGER PRIMARY KEY,
    objection_id BIGINT  NOT NULL REFERENCES objections(id),
    sha256       TEXT    NOT NULL,
    sm3          TEXT    NOT NULL DEFAULT '',
    filename     TEXT    NOT NULL DEFAULT '',
    size         BIGINT  NOT NULL,
    media_type   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX objection_files_objection ON objection_files (objection_id, id);
CREATE INDEX objection_files_sha256 ON objection_files (sha256);

-- The public directory of listed platforms: public fields only (public is
-- national.PublicView of the snapshot at publication). domains, chassis_cells and
-- equipment are JSON arrays; search is the lower-cased text the directory's search
-- matches (names, equipment, chassis cells, the public text), chassis_search and
-- equipment_search the lower-cased names, one a line, and domain_keys the domain
-- keys as |a|b|, for the filters. A removed platform (除名) keeps its row with
-- removed_at and its grounds; the public directory hides it.
CREATE TABLE directory_entries (
    application_id   BIGINT  PRIMARY KEY REFERENCES applications(id),
    program_id       TEXT    NOT NULL,
    notice_id        BIGINT  REFERENCES public_notices(id),
    platform_name    TEXT    NOT NULL,
    org_name         TEXT    NOT NULL DEFAULT '',
    city_code        TEXT    NOT NULL DEFAULT '',
    province_code    TEXT    NOT NULL DEFAULT '',
    domains          TEXT    NOT NULL DEFAULT '[]',
    chassis_cells    TEXT    NOT NULL DEFAULT '[]',
    equipment        TEXT    NOT NULL DEFAULT '[]',
    public           TEXT    NOT NULL DEFAULT '{}',
    search           TEXT    NOT NULL DEFAULT '',
    chassis_search   TEXT    NOT NULL DEFAULT '',
    equipment_search TEXT    NOT NULL DEFAULT '',
    domain_keys      TEXT    NOT NULL DEFAULT '',
    stars            INTEGER NOT NULL DEFAULT 0 CHECK (stars BETWEEN 0 AND 5),
    listed_at        BIGINT  NOT NULL,
    removed_at       BIGINT  NOT NULL DEFAULT 0,
    removal_grounds  TEXT    NOT NULL DEFAULT ''
        CHECK (removal_grounds IN ('', 'below_requirements', 'violation')),
    removal_detail   TEXT    NOT NULL DEFAULT '',
    CHECK ((removed_at = 0) = (removal_grounds = ''))
);
CREATE INDEX directory_entries_list ON directory_entries
    (program_id, removed_at, province_code, city_code, platform_name, application_id);

-- The service star rating history of listed platforms (the current rating is
-- directory_entries.stars).
CREATE TABLE star_ratings (
    id             INTEGER PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES directory_entries(application_id),
    year           INTEGER NOT NULL,
    stars          INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    reason         TEXT    NOT NULL DEFAULT '',
    set_by         BIGINT  REFERENCES users(id),
    set_at         BIGINT  NOT NULL
);
CREATE INDEX star_ratings_application ON star_ratings (application_id, id);
