#!/usr/bin/env bash
# pg.sh starts and stops a throwaway PostgreSQL server for the storage tests.
#
#   eval "$(scripts/pg.sh start)"   # prints: export TEST_DATABASE_URL=...
#   go test ./internal/storage/...
#   scripts/pg.sh stop
#
# start initialises a cluster in a new temporary folder, runs it on
# 127.0.0.1 (port $WARDEN_PG_PORT, default 55432, or the next free one) with
# its unix socket in that folder, and creates the superuser role and database
# warden/warden. Only the export line goes to stdout; logs go to stderr.
# The server favours speed over durability (fsync off): it is for tests only.
# As root the server runs as the postgres system user (created if missing),
# since PostgreSQL refuses to run as root.
#
# Environment: WARDEN_PG_PORT (first port to try), WARDEN_PG_STATE (state
# file, default ${TMPDIR:-/tmp}/warden-pg-$UID.state).
set -euo pipefail

STATE="${WARDEN_PG_STATE:-${TMPDIR:-/tmp}/warden-pg-$(id -u).state}"
FIRST_PORT="${WARDEN_PG_PORT:-55432}"

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# bindir prints the folder holding initdb, pg_ctl and psql of one installation.
bindir() {
	local p
	if p="$(command -v initdb 2>/dev/null)"; then
		p="$(readlink -f "$p")"
		dirname "$p"
		return
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			echo "$d"
			return
		fi
	done
	die "initdb not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
}

# as_pg runs a command as the user that owns the cluster, from /, since the
# caller's working folder may be closed to that user.
as_pg() {
	if [[ "$(id -u)" == 0 ]]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

ensure_user() {
	[[ "$(id -u)" == 0 ]] || return 0
	if ! id -u postgres >/dev/null 2>&1; then
		log "creating system user postgres"
		useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
			--shell /usr/sbin/nologin postgres >&2
	fi
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_for() {
	echo "postgres://warden:warden@127.0.0.1:$1/warden?sslmode=disable"
}

running() {
	local dir="$1"
	[[ -d "$dir/data" ]] && as_pg "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
	BIN="$(bindir)"
	ensure_user
	if [[ -f "$STATE" ]]; then
		local dir port
		read -r dir port <"$STATE" || true
		if [[ -n "${dir:-}" ]] && running "$dir"; then
			log "already running in $dir on port $port"
			echo "export TEST_DATABASE_URL='$(url_for "$port")'"
			return
		fi
		log "removing stale state $STATE"
		rm -f "$STATE"
		[[ -n "${dir:-}" && -d "$dir" ]] && rm -rf "$dir"
	fi

	local dir
	dir="$(mktemp -d "${TMPDIR:-/tmp}/warden-pg.XXXXXX")"
	chmod 700 "$dir"
	if [[ "$(id -u)" == 0 ]]; then
		chown postgres: "$dir"
	fi
	log "initdb in $dir ($BIN)"
	if ! as_pg "$BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		die "initdb failed"
	fi

	local port="$FIRST_PORT" started=""
	for _ in $(seq 1 20); do
		if port_busy "$port"; then
			log "port $port is in use, trying $((port + 1))"
			port=$((port + 1))
			continue
		fi
		if as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
			start >&2; then
			started=1
			break
		fi
		log "start on port $port failed, trying $((port + 1))"
		tail -n 5 "$dir/server.log" >&2 || true
		port=$((port + 1))
	done
	if [[ -z "$started" ]]; then
		rm -rf "$dir"
		die "could not start postgres"
	fi
	echo "$dir $port" >"$STATE"

	as_pg "$BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
		-c "CREATE ROLE warden SUPERUSER LOGIN PASSWORD 'warden'" \
		-c "CREATE DATABASE warden OWNER warden" >&2
	log "ready on 127.0.0.1:$port (data in $dir)"
	echo "export TEST_DATABASE_URL='$(url_for "$port")'"
}

stop() {
	if [[ ! -f "$STATE" ]]; then
		log "not running (no $STATE)"
		return
	fi
	local dir port
	read -r dir port <"$STATE" || true
	BIN="$(bindir)"
	if [[ -n "${dir:-}" ]] && running "$dir"; then
		as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || log "pg_ctl stop failed"
	fi
	case "${dir:-}" in
	*/warden-pg.*) rm -rf "$dir" ;;
	*) log "not removing unexpected folder '${dir:-}'" ;;
	esac
	rm -f "$STATE"
	log "stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
