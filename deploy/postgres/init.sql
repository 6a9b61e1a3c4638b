-- One login role and one schema per service; a role can use only its own schema.
-- Passwords here are for a single demo host: set real ones (and the *_DATABASE_URL) in production.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE wtgr FROM PUBLIC;
CREATE ROLE ideas LOGIN PASSWORD 'ideas-change-me';
CREATE ROLE projects LOGIN PASSWORD 'projects-change-me';
CREATE ROLE metrics LOGIN PASSWORD 'metrics-change-me';
CREATE ROLE training LOGIN PASSWORD 'training-change-me';
CREATE ROLE notifications LOGIN PASSWORD 'notifications-change-me';
CREATE ROLE stories LOGIN PASSWORD 'stories-change-me';
GRANT CONNECT ON DATABASE wtgr TO ideas, projects, metrics, training, notifications, stories;
CREATE SCHEMA ideas AUTHORIZATION ideas;
CREATE SCHEMA projects AUTHORIZATION projects;
CREATE SCHEMA metrics AUTHORIZATION metrics;
CREATE SCHEMA training AUTHORIZATION training;
CREATE SCHEMA notifications AUTHORIZATION notifications;
CREATE SCHEMA stories AUTHORIZATION stories;
-- Extensions are the admin's to install, once, in a schema every service role may use
-- (pg_trgm: the ideas service's similar-text search).
CREATE SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO ideas, projects, metrics, training, notifications, stories;
