#!/bin/sh
# Run once by the postgres image on an empty data directory: the service's database and
# its two roles, neither a superuser nor with BYPASSRLS. The owner owns the database and
# its tables and runs the migrations; the service serves as the other role, which owns
# nothing and may only read and write the owner's tables' rows, so it can never switch
# row-level security off (ALTER TABLE is the owner's alone).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=database="$APP_DATABASE" \
    --set=owner="$APP_DATABASE_OWNER" --set=owner_password="$APP_DATABASE_OWNER_PASSWORD" \
    --set=role="$APP_DATABASE_ROLE" --set=password="$APP_DATABASE_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE :"database" OWNER :"owner";
\connect :"database"
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"role";
SQL
