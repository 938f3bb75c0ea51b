-- 005: the two large columns of applications (document, snapshot: 10–20 KB of JSON
-- each) move to the end of the row. SQLite stores a row as one record whose tail
-- spills into a chain of overflow pages; a column after a large one can only be read
-- by walking that chain, so every list (which reads platform_name, verdict, the
-- times …) walked two documents per row: 30–70 ms for a city's page of 50 out of
-- 10,000 applications. With the documents last, a list reads the row's first page
-- only.
--
-- The table is rewritten in place (ADD COLUMN, copy, DROP COLUMN, RENAME COLUMN)
-- rather than rebuilt under a new name: the tables that reference applications keep
-- their foreign keys, and no DROP TABLE cascades into them (foreign_keys cannot be
-- switched off inside the migration's transaction).
ALTER TABLE applications ADD COLUMN document_last TEXT NOT NULL DEFAULT '{}';
ALTER TABLE applications ADD COLUMN snapshot_last TEXT;
UPDATE applications SET document_last = document, snapshot_last = snapshot;
ALTER TABLE applications DROP COLUMN document;
ALTER TABLE applications DROP COLUMN snapshot;
ALTER TABLE applications RENAME COLUMN document_last TO document;
ALTER TABLE applications RENAME COLUMN snapshot_last TO snapshot;

-- Lists filter on the program, the city and the states and sort on updated_at; some
-- also filter on the verdict or the platform's name, or sort by organisation. With
-- all of these in one index, a list's count and its page are found in the index
-- alone (the small columns only), and only the page's rows are then read.
CREATE INDEX applications_program_city_state_updated
    ON applications (program_id, city_code, state, updated_at, verdict, org_id, platform_name);
