-- 004: the SM3 of each attachment's content (lower-case hex), computed at upload in
-- the same pass as its SHA-256, so that a package copies evidence without hashing
-- it again. '' for files uploaded before: a backfill (files.Store.BackfillSM3) or
-- the package writer computes it.
ALTER TABLE attachments ADD COLUMN sm3 TEXT NOT NULL DEFAULT '';
