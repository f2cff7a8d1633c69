#!/bin/sh
# Run once by the postgres image on an empty data directory: create the service's role
# (no SUPERUSER, no BYPASSRLS: row-level security binds it) and its database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=role="$APP_DATABASE" --set=password="$APP_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE :"role" OWNER :"role";
SQL
