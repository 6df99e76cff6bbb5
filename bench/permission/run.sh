#!/usr/bin/env bash
# Runs the permission benchmarks end to end: builds Warden, starts it on an
# empty database (sqlite, or postgres on the scripts/pg.sh test server), loads
# the dataset, then measures C1..C5 beside the baseline, closed loop and at
# fixed rates. Usage: bench/permission/run.sh [sqlite|postgres] [scale]
# WARDEN_SET=key=value adds one --set to the server (e.g.
# permission.consistency.max_staleness=100ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:-sqlite}
scale=${2:-1.0}
export PATH="/usr/local/go/bin:$PATH"
bin=$(mktemp -d)
go build -o "$bin/warden" ./cmd/warden
go build -o "$bin/load" ./bench/cmd/load
go build -o "$bin/dataset" ./bench/cmd/dataset
dir=$(mktemp -d)
sed "s#file://./#file://$PWD/#" bench/permission/warden.yaml > "$dir/warden.yaml"
args=(serve --config "$dir/warden.yaml")
if [ -n "${WARDEN_SET:-}" ]; then args+=(--set "$WARDEN_SET"); fi
if [ "$db" = postgres ]; then
  eval "$(scripts/pg.sh start)"
  name="warden_bench_$$"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $name" >/dev/null
  args+=(--dsn "${TEST_DATABASE_URL/\/warden\?/\/$name?}" --migrate)
fi
(cd "$dir" && exec "$bin/warden" "${args[@]}" >/dev/null 2>"$dir/server.log") &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$bin"' EXIT
for _ in $(seq 1 200); do curl -sf http://127.0.0.1:4433/health/ready >/dev/null && break; sleep 0.05; done
echo "== $db ${WARDEN_SET:-}, scale $scale, commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ)"
"$bin/dataset" --write-url http://127.0.0.1:4434 --scale "$scale" --seed 1 --fixtures "$dir/fixtures.json" 2>&1 | tail -2
load=("$bin/load" --public http://127.0.0.1:4433 --admin http://127.0.0.1:4434 --pid "$pid" --fixtures "$dir/fixtures.json" --duration 10s --warmup 2s)
echo "== closed loop, concurrency 16"
"${load[@]}" --concurrency 16 C1 C1g C2 C3a C3d C3k C4 C5 2>&1 | grep -v -E ': (warm-up|measuring|setup)$|^baseline: [0-9]|^C[0-9a-z]+: [0-9]+ ok'
echo "== open loop 5,000/s"
"${load[@]}" --rate 5000 C1 C1g C2 C3a C3d 2>&1 | grep -v -E ': (warm-up|measuring|setup)$|^baseline: [0-9]|^C[0-9a-z]+: [0-9]+ ok'
echo "== open loop 500/s"
"${load[@]}" --rate 500 C3k 2>&1 | grep -v -E ': (warm-up|measuring|setup)$|^baseline: [0-9]|^C[0-9a-z]+: [0-9]+ ok'
