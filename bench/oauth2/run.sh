#!/usr/bin/env bash
# Runs the OAuth2 benchmarks (H1..H6) end to end and prints one table per
# phase, each beside the no-op baseline measured in the same harness run:
#
#   1. ES256 server, concurrency 16: H1 H1c H2 H3 H4 H4s H6 H6j H6d H6g H6l
#   2. same server, open loop at half of H3's rate in 1: H3 (its p99 mark)
#   3. same server, concurrency 64: H5 (refresh rotation over a pool of
#      refresh tokens issued by code flows, then the rotation check)
#   4. same server, concurrency 16: H1c H3, then bench/cmd/oauth2seed adds
#      1M token rows (100k in quick mode), then H1c H3 again
#   5. a fresh server signing access tokens with RS256: H2
#
# Usage: bench/oauth2/run.sh [sqlite|postgres] [quick]
#
# The server runs with ES256 ID and access token signing, the background
# cleanup off (oauth2.cleanup.interval=0s) and its log (access log
# included) sent to $WARDEN_BENCH_LOG (default /dev/null). PostgreSQL is a
# throwaway server of scripts/pg.sh with its own state file and port, stopped
# at the end. Other settings:
#   WARDEN_BENCH_DURATION  measured window per workload (default 10s, quick 3s)
#   WARDEN_BENCH_WARMUP    warm-up before each window (default 2s, quick 1s)
#   WARDEN_BENCH_OUT       folder for the JSON reports (default: a new temporary one)
#   WARDEN_BENCH_PIN=1     server on core 1 with GOMAXPROCS=1, harness (and PostgreSQL) on core 0
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:-sqlite}
mode=${2:-full}
case "$db" in sqlite | postgres) ;; *) echo "usage: $0 [sqlite|postgres] [quick]" >&2; exit 2 ;; esac
case "$mode" in full | quick) ;; *) echo "usage: $0 [sqlite|postgres] [quick]" >&2; exit 2 ;; esac
if [ "$mode" = quick ]; then
  duration=${WARDEN_BENCH_DURATION:-3s} warmup=${WARDEN_BENCH_WARMUP:-1s} h5tokens=5000 seedrows=100000
else
  duration=${WARDEN_BENCH_DURATION:-10s} warmup=${WARDEN_BENCH_WARMUP:-2s} h5tokens=100000 seedrows=1000000
fi
export PATH="/usr/local/go/bin:$PATH"
out=${WARDEN_BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
log=${WARDEN_BENCH_LOG:-/dev/null}
bin=$(mktemp -d)
go build -o "$bin/warden" ./cmd/warden
go build -o "$bin/load" ./bench/cmd/load
go build -o "$bin/oauth2seed" ./bench/cmd/oauth2seed

dirs=()
export WARDEN_PG_STATE="${TMPDIR:-/tmp}/warden-bench-oauth2-pg-$(id -u).state"
export WARDEN_PG_PORT=${WARDEN_PG_PORT:-55632}
. bench/lib.sh
cleanup() {
  stop_server
  stop_postgres
  rm -rf "$bin" "${dirs[@]}"
}
trap cleanup EXIT

start_postgres

# start_server NAME KEY=VALUE...: a fresh database and a server with the
# benchmark settings plus the given ones; sets pid and dsn.
start_server() {
  local name=$1
  shift
  local dir
  dir=$(mktemp -d)
  dirs+=("$dir")
  if [ "$db" = postgres ]; then
    local dbname="warden_bench_oauth2_${name}_$$"
    psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $dbname" >/dev/null
    dsn="${TEST_DATABASE_URL/\/warden\?/\/$dbname?}"
  else
    dsn="sqlite://$dir/warden.db"
  fi
  local args=(serve --dsn "$dsn" --migrate
    --set oauth2.signing.id_token_alg=ES256 --set oauth2.signing.access_token_alg=ES256
    --set oauth2.cleanup.interval=0s)
  for kv in "$@"; do args+=(--set "$kv"); done
  (cd "$dir" && exec "${srvpin[@]}" "$bin/warden" "${args[@]}" >/dev/null 2>>"$log") &
  pid=$!
  for _ in $(seq 1 200); do curl -sf http://127.0.0.1:4433/health/ready >/dev/null && return 0; sleep 0.05; done
  echo "the server did not become ready (set WARDEN_BENCH_LOG=FILE to see its log)" >&2
  exit 1
}

# harness FILE ARGS...: one harness run, its table on stdout, setup notes kept.
harness() {
  local json=$1
  shift
  "${loadpin[@]}" "$bin/load" --public http://127.0.0.1:4433 --admin http://127.0.0.1:4434 --pid "$pid" "${dbpid[@]}" \
    --duration "$duration" --warmup "$warmup" --json "$out/$json" "$@" 2>&1 |
    grep -v -E ': (warm-up [0-9.]+m?s|measuring|setup|checking)$|^baseline: [0-9]|^H[0-9a-z]+: [0-9]+ ok, '
}

echo "== OAuth2 benchmarks on $db ($mode): commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes'), $(date -u +%FT%TZ)"
echo "== $(go version | cut -d' ' -f3), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), duration $duration, warm-up $warmup${WARDEN_BENCH_PIN:+, pinned}"
echo "== JSON reports in $out"

start_server es256
phase "1. ES256 (ID and JWT access tokens), concurrency 16"
harness oauth2-c16.json --concurrency 16 H1 H1c H2 H3 H4 H4s H6 H6j H6d H6g H6l
h3rate=$(jq -r '.workloads[] | select(.id == "H3") | .ops_per_sec / 2 | floor' "$out/oauth2-c16.json" 2>/dev/null || true)
if [ -n "$h3rate" ] && [ "$h3rate" -gt 0 ]; then
  phase "2. open loop at $h3rate/s (half of H3's closed-loop rate)"
  harness oauth2-h3-open.json --concurrency 16 --rate "$h3rate" H3
else
  phase "2. skipped: no H3 rate from phase 1 (is jq installed?)"
fi
phase "3. refresh rotation, concurrency 64, $h5tokens refresh tokens"
harness oauth2-h5.json --concurrency 64 --h5-tokens "$h5tokens" H5
phase "4. before and after adding $seedrows token rows"
harness oauth2-unseeded.json --concurrency 16 H1c H3
"$bin/oauth2seed" --dsn "$dsn" --tokens "$seedrows" 2>/dev/null
if [ "$db" = postgres ]; then
  # What autovacuum would do soon after: done now, so it does not run inside
  # the measured windows that follow.
  psql "$dsn" -qc "VACUUM ANALYZE oauth2_tokens"
fi
phase "4. after adding the rows"
harness oauth2-seeded.json --concurrency 16 H1c H3
stop_server

start_server rs256 oauth2.signing.access_token_alg=RS256
phase "5. JWT access tokens signed with RS256 (RSA-2048), concurrency 16"
harness oauth2-rs256.json --concurrency 16 H2
