#!/usr/bin/env bash
# The whole suite, against SQLite and against a throw-away PostgreSQL server that this
# script starts on 127.0.0.1 and stops on exit (installed from Debian's packages if missing);
# the jobs' queue tests also against a throw-away Redis server started the same way.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "Installing PostgreSQL from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! command -v redis-server >/dev/null; then
  echo "Installing Redis from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
PGBIN=$(pg_bin)
PGPORT=${CENTRE_TEST_PGPORT:-54329}
PGDATA=$(mktemp -d -t centre-pg.XXXXXX)  # not under root's home: postgres must enter it
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
REDIS_PORT=${CENTRE_TEST_REDIS_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
REDIS_DIR=$(mktemp -d -t centre-redis.XXXXXX)
stop() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
  if [ -f "$REDIS_DIR/redis.pid" ]; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$REDIS_DIR"
}
trap stop EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null

# Nothing kept on disk: no snapshots, no append-only file.
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$REDIS_DIR" \
  --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >/dev/null
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
export CENTRE_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

export CENTRE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
# One pytest worker per core and one more (pytest-xdist), each with its own PostgreSQL database: many
# tests spend seconds waiting on a worker process, a browser or a mail server, and the extra worker
# fills those waits. CENTRE_TEST_WORKERS=0 runs everything in this process (e.g. with pdb).
.venv/bin/python -m pytest -n "${CENTRE_TEST_WORKERS:-$(( $(nproc) + 1 ))}" "$@"
