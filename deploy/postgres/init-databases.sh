#!/usr/bin/env bash
# Creates the warehouse and MLflow databases beside Dagster's (POSTGRES_DB), owned by
# POSTGRES_USER. The postgres image runs this once, on the first start with an empty data
# volume; it is idempotent, so it can also be run by hand against an existing server:
#   POSTGRES_USER=... POSTGRES_DB=... WAREHOUSE_DB=... MLFLOW_DB=... PGHOST=... ./init-databases.sh
set -euo pipefail

: "${POSTGRES_USER:?POSTGRES_USER is not set}"
: "${POSTGRES_DB:?POSTGRES_DB is not set}"

create_database() {
    local name="$1"
    if [[ ! "$name" =~ ^[a-z_][a-z0-9_]*$ ]]; then
        echo "init-databases: refusing database name '$name' (use a-z, 0-9 and _)" >&2
        exit 1
    fi
    local exists
    exists=$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --tuples-only --no-align \
        --command "SELECT 1 FROM pg_database WHERE datname = '$name'")
    if [[ "$exists" == "1" ]]; then
        echo "init-databases: database $name exists"
        return
    fi
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --command "CREATE DATABASE \"$name\" OWNER \"$POSTGRES_USER\""
    echo "init-databases: created database $name"
}

for name in "${WAREHOUSE_DB:-warehouse}" "${MLFLOW_DB:-mlflow}"; do
    create_database "$name"
done
