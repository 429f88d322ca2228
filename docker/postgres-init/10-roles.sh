#!/bin/sh
# Run once by the postgres image, as its superuser, when the data volume is new (docs/operations.md,
# "Two database roles"). The superuser is for this script and an operator's maintenance only: no service of
# the app connects as it.
# - strategy_owner owns the database (and so its schema `public`): `migrate` runs as it, and grants the app's
#   role exactly its rights after every run (core/db_roles.py).
# - strategy_app is the role web, worker and beat connect as: no superuser, no role or database making, owns
#   nothing; it can only add to and read the audit and history tables.
set -eu
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner_password="$STRATEGY_OWNER_PASSWORD" -v app_password="$STRATEGY_APP_PASSWORD" <<'SQL'
CREATE ROLE strategy_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE strategy_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO strategy_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO strategy_app;
SQL
