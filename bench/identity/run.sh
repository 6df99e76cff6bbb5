#!/usr/bin/env bash
# Runs the identity benchmarks (K1..K4) end to end and prints one table per
# phase, each beside the no-op baseline measured in the same harness run:
#
#   0. a fresh database and server (production defaults, argon2id), then
#      bench/cmd/identityseed: 100k identities and 200k API sessions (quick:
#      20k and 40k), all with one argon2id hash of one known password
#   1. concurrency 16: K1 K4 K4i K4g (K1 over the seeded tokens, K4i and
#      K4g over the seeded identities)
#   1h. K1 with one hot session (no fixtures): whoami answered from its
#       reused answer after the first request
#   2. open loop at half of K1's hot rate in 1h: K1 (its p99 mark); 2b.
#      the same for K4 at half of its rate in 1
#   3. concurrency 16: K2 (sign-ins as seeded identities) and K3 (sign-ups),
#      between two runs of bench/cmd/hashceiling (the hash alone, pinned like
#      the server): sign-ins per server CPU-second against their mean; then
#      two more rounds of K2 and a ceiling run, and the median of the three
#      K2 ratios
#   4. open loop at twice K2's rate in 3 for 30 s (quick: 10 s), 256 workers
#      so the server's hashing queue fills: K2's p99, shed operations, RSS
#   5. the server restarted on the same database with bcrypt cost 12, 1,000
#      more identities seeded with a bcrypt-12 hash (quick: 200): K2 at
#      four sign-ins per server core (what its hashing pool admits), between
#      two runs of bench/cmd/hashceiling
#   6. PostgreSQL only: database transactions per operation of K1, K4, K4i
#      and K4g (each of their statements runs in a transaction of its own,
#      so this is their statements per operation)
#
# Usage: bench/identity/run.sh [sqlite|postgres] [quick]
#
# The server runs `warden serve --dsn DSN --migrate` with its production
# defaults (not --dev) plus the hasher settings of the phase, its log
# (access log included) sent to $WARDEN_BENCH_LOG (default /dev/null).
# PostgreSQL is a throwaway server of scripts/pg.sh with its own state file
# and port, stopped at the end. Other settings:
#   WARDEN_BENCH_DURATION  measured window per workload (default 10s, quick 3s)
#   WARDEN_BENCH_WARMUP    warm-up before each window (default 2s, quick 1s)
#   WARDEN_BENCH_OUT       folder for the JSON reports and fixtures (default: a new temporary one)
#   WARDEN_BENCH_PIN=1     server on core 1 with GOMAXPROCS=1, harness (and PostgreSQL) on core 0
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:-sqlite}
mode=${2:-full}
case "$db" in sqlite | postgres) ;; *) echo "usage: $0 [sqlite|postgres] [quick]" >&2; exit 2 ;; esac
case "$mode" in full | quick) ;; *) echo "usage: $0 [sqlite|postgres] [quick]" >&2; exit 2 ;; esac
if [ "$mode" = quick ]; then
  duration=${WARDEN_BENCH_DURATION:-3s} warmup=${WARDEN_BENCH_WARMUP:-1s}
  identities=20000 sessions=40000 bcryptIdentities=200 overload=10s countOps=2000
else
  duration=${WARDEN_BENCH_DURATION:-10s} warmup=${WARDEN_BENCH_WARMUP:-2s}
  identities=100000 sessions=200000 bcryptIdentities=1000 overload=30s countOps=20000
fi
export PATH="/usr/local/go/bin:$PATH"
out=${WARDEN_BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
log=${WARDEN_BENCH_LOG:-/dev/null}
bin=$(mktemp -d)
go build -o "$bin/warden" ./cmd/warden
go build -o "$bin/load" ./bench/cmd/load
go build -o "$bin/identityseed" ./bench/cmd/identityseed
go build -o "$bin/hashceiling" ./bench/cmd/hashceiling

dir="" dsn=""
export WARDEN_PG_STATE="${TMPDIR:-/tmp}/warden-bench-identity-pg-$(id -u).state"
export WARDEN_PG_PORT=${WARDEN_PG_PORT:-55634}
. bench/lib.sh
cleanup() {
  stop_server
  stop_postgres
  rm -rf "$bin" ${dir:+"$dir"}
}
trap cleanup EXIT

start_postgres

# new_database: a fresh, empty database; sets dir and dsn.
new_database() {
  dir=$(mktemp -d)
  if [ "$db" = postgres ]; then
    local dbname="warden_bench_identity_$$"
    psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $dbname" >/dev/null
    dsn="${TEST_DATABASE_URL/\/warden\?/\/$dbname?}"
  else
    dsn="sqlite://$dir/warden.db"
  fi
}

# start_server KEY=VALUE...: a server on $dsn with the production defaults
# plus the given settings; sets pid.
start_server() {
  local args=(serve --dsn "$dsn" --migrate)
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
    grep -v -E ': (warm-up [0-9.]+m?s|measuring|setup|checking)$|^baseline: [0-9]|^K[0-9a-z]+: [0-9]+ ok, '
}

# ceiling FILE ARGS...: the raw cost of the sign-in hash (bench/cmd/hashceiling),
# pinned like the server and measured while it idles, its line on stdout.
ceiling() {
  local json=$1
  shift
  "${srvpin[@]}" "$bin/hashceiling" --duration "$duration" "$@" --json >"$out/$json"
  jq -r '"hash ceiling (\(.hash)): \(.per_cpu_second * 10 | floor / 10) per CPU-second (\(.cpu_ms_per_compare * 10 | floor / 10) ms each)"' "$out/$json"
}

# versus_ceiling REPORT ID CEILING...: workload ID's sign-ins per server
# CPU-second against the mean of the ceiling runs.
versus_ceiling() {
  local report=$1 id=$2
  shift 2
  local files=()
  for f in "$@"; do files+=("$out/$f"); done
  jq -rs --arg id "$id" '
    (.[1:] | map(.per_cpu_second) | add / length) as $c
    | (.[0].workloads[] | select(.id == $id) | .server.ops_per_cpu_second) as $k
    | "\($id): \($k * 10 | floor / 10) per server CPU-second against a ceiling of \($c * 10 | floor / 10): \($k / $c * 100 | floor / 100)x"' \
    "$out/$report" "${files[@]}" 2>/dev/null || true
}

# rate FILE ID: the ops/s of workload ID in report FILE, rounded down.
rate() {
  jq -r --arg id "$2" '.workloads[] | select(.id == $id) | .ops_per_sec | floor' "$out/$1" 2>/dev/null || true
}

# xacts: committed and rolled-back transactions of the database so far. A
# backend reports its counts when it has been idle for 10 s at the latest,
# so read them 11 s after the last activity.
xacts() {
  sleep 11
  psql "$dsn" -Atqc "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
}

echo "== Identity benchmarks on $db ($mode): commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes'), $(date -u +%FT%TZ)"
echo "== $(go version | cut -d' ' -f3), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), duration $duration, warm-up $warmup${WARDEN_BENCH_PIN:+, pinned}"
echo "== JSON reports and fixtures in $out"

new_database
start_server identity.hashers.algorithm=argon2
phase "0. seeding $identities identities (argon2id) and $sessions sessions"
"$bin/identityseed" --dsn "$dsn" --identities "$identities" --sessions "$sessions" --fixtures "$out/identity-fixtures.json" 2>/dev/null
if [ "$db" = postgres ]; then
  # What autovacuum would do soon after: done now, so it does not run inside
  # the measured windows that follow.
  psql "$dsn" -qc "VACUUM ANALYZE identities, identity_credentials, identity_credential_identifiers, identity_addresses, sessions"
fi
fixtures=(--identity-fixtures "$out/identity-fixtures.json")

phase "1. whoami, admin list, lookups; concurrency 16"
harness identity-c16.json --concurrency 16 "${fixtures[@]}" K1 K4 K4i K4g
phase "1h. whoami of one hot session (an app checking the same user's session on every request); concurrency 16"
harness identity-k1-hot.json --concurrency 16 K1
k1rate=$(rate identity-k1-hot.json K1)
if [ -n "$k1rate" ] && [ "$k1rate" -gt 1 ]; then
  phase "2. open loop at $((k1rate / 2))/s (half of K1's hot closed-loop rate), one hot session"
  harness identity-k1-open.json --concurrency 16 --rate "$((k1rate / 2))" K1
else
  phase "2. skipped: no K1 rate from phase 1 (is jq installed?)"
fi
k4rate=$(rate identity-c16.json K4)
if [ -n "$k4rate" ] && [ "$k4rate" -gt 1 ]; then
  phase "2b. open loop at $((k4rate / 2))/s (half of K4's closed-loop rate in 1): pages of 250"
  harness identity-k4-open.json --concurrency 16 --rate "$((k4rate / 2))" "${fixtures[@]}" K4
fi

phase "3. API login and registration, argon2id (m=19 MiB, t=2, p=1); concurrency 16, the hash's ceiling before and after"
ceiling ceiling-argon2-before.json
harness identity-argon2.json --concurrency 16 "${fixtures[@]}" K2 K3
ceiling ceiling-argon2-after.json
for id in K2 K3; do versus_ceiling identity-argon2.json "$id" ceiling-argon2-before.json ceiling-argon2-after.json; done
# This box's speed drifts by several per cent within minutes, so one K2
# window against the ceilings beside it is a noisy ratio: two more rounds,
# each K2 window followed by a ceiling, and the median of the three.
prev=ceiling-argon2-after.json
for round in 2 3; do
  harness "identity-argon2-k2-$round.json" --concurrency 16 "${fixtures[@]}" K2 | grep -E '^ +K2 '
  ceiling "ceiling-argon2-$round.json"
  versus_ceiling "identity-argon2-k2-$round.json" K2 "$prev" "ceiling-argon2-$round.json"
  prev="ceiling-argon2-$round.json"
done
jq -rs '[.[] | .workloads[]? | select(.id == "K2") | .server.ops_per_cpu_second] as $k
  | [.[] | .per_cpu_second? // empty] as $c
  | [range(0; 3) | $k[.] / (($c[.] + $c[. + 1]) / 2)] | sort
  | "K2 against the ceilings beside each window: \(map(. * 100 | floor / 100) | join(", ")); median \(.[1] * 100 | floor / 100)x"' \
  "$out/identity-argon2.json" "$out/identity-argon2-k2-2.json" "$out/identity-argon2-k2-3.json" \
  "$out/ceiling-argon2-before.json" "$out/ceiling-argon2-after.json" "$out/ceiling-argon2-2.json" "$out/ceiling-argon2-3.json" 2>/dev/null || true
k2rate=$(rate identity-argon2.json K2)
if [ -n "$k2rate" ] && [ "$k2rate" -gt 0 ]; then
  phase "4. overload: K2 at $((k2rate * 2))/s (twice its closed-loop rate) for $overload, 256 workers"
  harness identity-k2-overload.json --concurrency 256 --rate "$((k2rate * 2))" --duration "$overload" "${fixtures[@]}" K2
  jq -r '.workloads[] | select(.id == "K2") |
    "K2 overload: \(.ops) sign-ins (\(.ops_per_sec | floor)/s), \(.shed // 0) shed, \(.errors) errors, \(.unsent // 0) never sent; p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms; RSS \(.server.rss_mb // 0 | floor) MB, peak \(.server.peak_rss_mb // 0 | floor) MB"' \
    "$out/identity-k2-overload.json" 2>/dev/null || true
else
  phase "4. skipped: no K2 rate from phase 3 (is jq installed?)"
fi
stop_server

# A bcrypt-12 comparison takes ~0.23 s, so the hashing pool (one slot per
# server core, sign-ins refused once the expected wait passes 1 s) holds about
# four sign-ins per core: at concurrency 16 most would be refused at once and
# retried, and the harness would measure refusals. Four per server core is
# what the pool accepts.
bcryptConc=$((4 * $(nproc)))
if [ ${#srvpin[@]} -gt 0 ]; then bcryptConc=4; fi
phase "5. bcrypt cost 12: $bcryptIdentities more identities with a bcrypt-12 hash, the server restarted; concurrency $bcryptConc"
"$bin/identityseed" --dsn "$dsn" --identities "$bcryptIdentities" --sessions 0 --hasher bcrypt --bcrypt-cost 12 \
  --email-prefix bcuser --fixtures "$out/identity-fixtures-bcrypt.json" 2>/dev/null
start_server identity.hashers.algorithm=bcrypt identity.hashers.bcrypt.cost=12
ceiling ceiling-bcrypt-before.json --algorithm bcrypt --bcrypt-cost 12
harness identity-bcrypt.json --concurrency "$bcryptConc" --identity-fixtures "$out/identity-fixtures-bcrypt.json" K2
ceiling ceiling-bcrypt-after.json --algorithm bcrypt --bcrypt-cost 12
versus_ceiling identity-bcrypt.json K2 ceiling-bcrypt-before.json ceiling-bcrypt-after.json

if [ "$db" = postgres ]; then
  phase "6. database transactions per operation ($countOps operations each, no warm-up)"
  # The server's own background work (cleanup, courier) over the same
  # kind of interval, for comparison.
  before=$(xacts)
  after=$(xacts)
  echo "idle server: $((after - before)) transactions in 11 s"
  for id in K1 K4 K4i K4g; do
    before=$after
    "${loadpin[@]}" "$bin/load" --public http://127.0.0.1:4433 --admin http://127.0.0.1:4434 --concurrency 16 --warmup 0s \
      --requests "$countOps" --duration 5m "${fixtures[@]}" --json "$out/identity-count-$id.json" "$id" >/dev/null 2>&1 || true
    after=$(xacts)
    ops=$(jq -r '.workloads[0] | .ops + .errors' "$out/identity-count-$id.json")
    awk -v id="$id" -v d="$((after - before))" -v n="$ops" \
      'BEGIN { printf "%s: %d transactions for %d operations: %.2f per op\n", id, d, n, (n > 0 ? d / n : 0) }'
  done
else
  phase "6. queries per operation: not measured on SQLite (Warden exports no query counter; run on postgres)"
fi
