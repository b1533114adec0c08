-- Postgres-only DDL for revision 0005: the read-only group role of BI tools.
--
-- mlb_assets_bi may connect, read the reporting schema and nothing else: no raw tables, no
-- writes, no DDL. Logins for Grafana, Metabase or an analyst are members of it
-- (mlb_assets.lib.warehouse.bi.ensure_bi_login), so access is granted in one place.

-- Roles are cluster-wide: another database on this server may already have created it, or
-- be creating it right now (then the unique index on role names reports the clash).
DO $$
BEGIN
    CREATE ROLE mlb_assets_bi NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;

-- The database name differs per deployment (and per test), so it is looked up.
DO $$
BEGIN
    EXECUTE 'GRANT CONNECT ON DATABASE ' || quote_ident(current_database())
        || ' TO mlb_assets_bi';
END
$$;

GRANT USAGE ON SCHEMA reporting TO mlb_assets_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO mlb_assets_bi;
-- Views recreated later by the migrating role (create_reporting_views drops and recreates)
-- are granted automatically.
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO mlb_assets_bi;

-- Explicitly nothing on the raw tables: the reporting views are the BI contract. Views
-- and materialized views run with their owner's rights, so the role needs none of these.
-- (Postgres 15 already denies PUBLIC the CREATE privilege on schema public.)
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM mlb_assets_bi;
REVOKE CREATE ON SCHEMA public FROM mlb_assets_bi;
