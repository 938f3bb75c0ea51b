-- 005: on SQLite the large columns of applications move to the end of the row (see
-- migrations/sqlite/005). PostgreSQL needs no change: a document or snapshot larger
-- than about 2 KB is stored out of line (TOAST) and the row keeps a pointer, so
-- reading the columns after it never touches the document. The number is kept so
-- that both dialects share one numbering.
SELECT 1;
