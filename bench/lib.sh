# Shared by bench/*/run.sh (sourced, not run): pinning, the throwaway
# PostgreSQL server and the server's stop. The sourcing script sets db
# ("sqlite" or "postgres"), WARDEN_PG_STATE and WARDEN_PG_PORT first.

# srvpin and loadpin prefix the server's and the harness's commands: with
# WARDEN_BENCH_PIN=1 the server runs on core 1 with GOMAXPROCS=1 and the
# harness on core 0.
srvpin=() loadpin=()
if [ "${WARDEN_BENCH_PIN:-}" = 1 ]; then
  srvpin=(taskset -c 1 env GOMAXPROCS=1)
  loadpin=(taskset -c 0)
fi

pid="" pgstarted=""

# stop_server stops the server started last, if any.
stop_server() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}

# stop_postgres stops the throwaway PostgreSQL server, if one was started.
stop_postgres() {
  if [ -n "$pgstarted" ]; then scripts/pg.sh stop 2>/dev/null || true; fi
}

# start_postgres (db=postgres only) starts a throwaway PostgreSQL server of
# scripts/pg.sh, exports TEST_DATABASE_URL and sets dbpid, the harness flag
# that adds the CPU of the postmaster and its backends to the per-operation
# figures. Pinned, PostgreSQL shares core 0 with the harness, as the perf
# anchors' harness rules have it: the server's core is its own (backends
# forked later inherit the postmaster's affinity).
dbpid=()
start_postgres() {
  [ "$db" = postgres ] || return 0
  eval "$(scripts/pg.sh start)"
  pgstarted=1
  local pgdir
  read -r pgdir _ <"$WARDEN_PG_STATE"
  dbpid=(--db-pid "$(head -n 1 "$pgdir/data/postmaster.pid")")
  if [ "${WARDEN_BENCH_PIN:-}" = 1 ]; then
    for p in $(pgrep -u "$(stat -c %U "$pgdir/data")" postgres || true); do taskset -a -p -c 0 "$p" >/dev/null 2>&1 || true; done
  fi
}

# phase NAME prints a phase header.
phase() {
  echo
  echo "== $1"
}
