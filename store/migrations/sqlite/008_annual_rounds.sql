-- 008: the annual evaluations the ministry opens (年度评价, issue 9): one per program
-- and year. Listed platforms file their report on that year until due_at; experts
-- score the submitted reports in the round annual-YYYY. Times are Unix
-- milliseconds UTC.
CREATE TABLE annual_evaluations (
    id         INTEGER PRIMARY KEY,
    program_id TEXT    NOT NULL,
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    title      TEXT    NOT NULL,
    due_at     BIGINT  NOT NULL,
    opened_by  BIGINT  REFERENCES users(id),
    opened_at  BIGINT  NOT NULL,
    UNIQUE (program_id, year)
);
