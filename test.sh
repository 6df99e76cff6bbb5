#!/usr/bin/env bash
# Runs Warden's whole test suite: go vet, then every Go test with the race
# detector, on SQLite and on PostgreSQL. When TEST_DATABASE_URL is not set, a
# throwaway PostgreSQL server is started on a loopback port and removed after.
# WARDEN_TEST_SQLITE_ONLY=1 skips PostgreSQL (not for CI).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:$PATH"

started_pg=""
cleanup() {
  if [ -n "$started_pg" ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

if [ -z "${TEST_DATABASE_URL:-}" ] && [ "${WARDEN_TEST_SQLITE_ONLY:-}" != "1" ]; then
  if ! pg_env=$(scripts/pg.sh start); then
    echo "test.sh: could not start PostgreSQL (install the postgresql package, set TEST_DATABASE_URL," >&2
    echo "         or run WARDEN_TEST_SQLITE_ONLY=1 ./test.sh to test on SQLite alone)" >&2
    exit 1
  fi
  started_pg=1
  eval "$pg_env"
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "test.sh: PostgreSQL at ${TEST_DATABASE_URL%%\?*}" | sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#'
else
  echo "test.sh: SQLite only"
fi

echo "test.sh: go vet ./..."
go vet ./...
echo "test.sh: go test -race ./..."
go test -race -count=1 -timeout 25m ./...
