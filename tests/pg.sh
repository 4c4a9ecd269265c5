# A throwaway PostgreSQL cluster for the tests (Debian's postgresql): its own data
# folder and port on loopback, trust authentication, one database `darktune`.
# Source it, then:
#   pg_start DIR PORT   creates the cluster in DIR (once) and starts it; prints nothing;
#                       PG_URI is then postgresql://darktune@127.0.0.1:PORT/darktune
#   pg_stop DIR         stops it (fast shutdown); pg_restart DIR restarts it
# PostgreSQL refuses to run as root: as root the cluster belongs to user postgres.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg__as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  local dir=$1 port=$2
  [ -x "$PG_BIN/initdb" ] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2; return 1; }
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg__as "$PG_BIN/initdb" -D "$dir/data" -U darktune -A trust --no-sync > "$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2; return 1; }
  fi
  pg__as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=100" start > /dev/null || {
      tail "$dir/server.log" >&2; return 1; }
  PG_URI=postgresql://darktune@127.0.0.1:$port/darktune
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U darktune -d postgres -tAc \
    "select 1 from pg_database where datname = 'darktune'" | grep -q 1 ||
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U darktune darktune
}
pg_stop() { pg__as "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w stop > /dev/null 2>&1; }
pg_restart() { pg__as "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w restart > /dev/null 2>&1; }
