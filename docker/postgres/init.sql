-- pg_cron lives in the database named by cron.database_name; retention jobs are scheduled there.
CREATE EXTENSION IF NOT EXISTS pg_cron;
