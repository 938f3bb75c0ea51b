-- 003: recommendation documents (推荐文件): a city's letter to the province listing
-- its recommended applications in its order, with the joint opinion, sealed by both
-- city authorities. state: draft → proposed (sealed by city_miit) → sealed
-- (co-sealed by city_drc) → sent. application_ids is a JSON array of ids in order;
-- signatures a JSON array of seal.Signature. Times are Unix ms UTC (0 = unset).
-- At most one letter per program, level and jurisdiction is open (not sent).
CREATE TABLE recommendations (
    id              INTEGER PRIMARY KEY,
    program_id      TEXT    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('city', 'province')),
    jurisdiction    TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('draft', 'proposed', 'sealed', 'sent')),
    number          TEXT    NOT NULL DEFAULT '',
    application_ids TEXT    NOT NULL DEFAULT '[]',
    opinion         TEXT    NOT NULL DEFAULT '',
    signatures      TEXT    NOT NULL DEFAULT '[]',
    note            TEXT    NOT NULL DEFAULT '',
    version         BIGINT  NOT NULL DEFAULT 1,
    created_by      BIGINT  REFERENCES users(id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    sent_at         BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX recommendations_where ON recommendations (program_id, level, jurisdiction, id);
CREATE UNIQUE INDEX recommendations_open ON recommendations (program_id, level, jurisdiction)
    WHERE state <> 'sent';
