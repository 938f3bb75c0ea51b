-- 007: the annual reports of listed platforms (年度报告, issue 9): one per platform
-- (its application) and year. state: draft → submitted (frozen; experts score it in
-- the round annual-YYYY). document is the report's JSON as TEXT; version increases
-- with every save; snapshot_hash is the SM3 of the canonical document and evidence
-- at submission. Times are Unix milliseconds UTC (0 = unset). Evidence files are
-- attachments of the application with category annual-YYYY:key.
CREATE TABLE annual_reports (
    id             INTEGER PRIMARY KEY,
    program_id     TEXT    NOT NULL,
    application_id BIGINT  NOT NULL REFERENCES applications(id),
    year           INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    state          TEXT    NOT NULL CHECK (state IN ('draft', 'submitted')),
    document       TEXT    NOT NULL DEFAULT '{}',
    version        BIGINT  NOT NULL DEFAULT 1,
    snapshot_hash  TEXT    NOT NULL DEFAULT '',
    created_by     BIGINT  REFERENCES users(id),
    updated_by     BIGINT  REFERENCES users(id),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    submitted_at   BIGINT  NOT NULL DEFAULT 0,
    submitted_by   BIGINT  REFERENCES users(id),
    UNIQUE (application_id, year),
    CHECK (state <> 'submitted' OR (snapshot_hash <> '' AND submitted_at > 0))
);
CREATE INDEX annual_reports_program_year ON annual_reports (program_id, year, application_id);
