-- For a database made before the two roles (docs/operations.md, "Two database roles"): run once as the
-- superuser, after docker/postgres-init/10-roles.sh has made strategy_owner and strategy_app, and before
-- `migrate` runs as strategy_owner. Gives the owner the database, every table (their sequences follow) and
-- every function of our own (not those of an extension), whoever owned them.
\set ON_ERROR_STOP on
ALTER DATABASE :"DBNAME" OWNER TO strategy_owner;
DO $$
DECLARE
    item record;
BEGIN
    FOR item IN SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'public'
    LOOP
        EXECUTE 'ALTER TABLE ' || item.name || ' OWNER TO strategy_owner';
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure::text AS name FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE 'ALTER FUNCTION ' || item.name || ' OWNER TO strategy_owner';
    END LOOP;
END
$$;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO strategy_app;
