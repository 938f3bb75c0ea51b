-- 005: on SQLite the large columns of applications move to the end of the row (see
-- migrations/sqlite/005). PostgreSQL needs no such change: a document or snapshot
-- larger than about 2 KB is stored out of line (TOAST) and the row keeps a pointer,
-- so reading the columns after it never touches the document.

-- Lists filter on the program, the city and the states and sort on updated_at; some
-- also filter on the verdict or the platform's name, or sort by organisation. With
-- all of these in one index, a list's count and its page are found in the index
-- alone (the small columns only), and only the page's rows are then read.
CREATE INDEX applications_program_city_state_updated
    ON applications (program_id, city_code, state, updated_at, verdict, org_id, platform_name);
