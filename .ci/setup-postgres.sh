#!/usr/bin/env bash
# Idempotent: a PostgreSQL server on 127.0.0.1:5432 with a role `chorus` (password `chorus`,
# CREATEDB) for the store conformance suite. Installs Debian's postgresql when missing and run
# as root. Prints the URL tests read from CHORUS_TEST_DATABASE_URL on the last line.
set -euo pipefail
URL="postgres://chorus:chorus@127.0.0.1:5432/chorus"
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "setup-postgres: PostgreSQL is not installed and we are not root" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    pg_createcluster "$version" main >/dev/null
  fi
  pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
as_postgres "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'chorus'\"" | grep -q 1 \
  || as_postgres "psql -q -c \"CREATE ROLE chorus LOGIN PASSWORD 'chorus' CREATEDB\""
as_postgres "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname = 'chorus'\"" | grep -q 1 \
  || as_postgres "psql -q -c \"CREATE DATABASE chorus OWNER chorus\""
echo "$URL"
