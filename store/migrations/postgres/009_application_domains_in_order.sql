-- 009: an application's domains in the applicant's order, from the index alone. Every
-- list of applications reads the domains of its page (50 applications) in one query,
-- ordered by application and position; the primary key (application_id, domain)
-- found the rows but not their position, so each row was then looked up in the table
-- and the result sorted. Measured with 10,000 applications on SQLite: a reviewer's
-- list of 50 spent a fifth of its time there; with this covering index the rows come
-- in order from the index (10–30% faster lists).
CREATE INDEX application_domains_app_position ON application_domains (application_id, position, domain);
