#!/usr/bin/env bash
# The PostgreSQL write rate, in one command (see bench/README.md):
#
#   bash bench/postgres.sh                 # after: meson setup build && meson compile -C build
#   ROWS=100000 REPEAT=1 FSYNC=off BUILD_DIR=build-x bash bench/postgres.sh
#
# Starts a throwaway PostgreSQL cluster (initdb into a temp directory, loopback only, a free port;
# the server runs as the `postgres` user when this runs as root, because initdb refuses root) and
# serves a generated bench_1m table from fake_questdb. Then, REPEAT rounds of
#   (c) tsyncd sync --once into an empty PostgreSQL database (wall and CPU time, peak RSS),
#   (r) raw COPY of the very rows tsyncd wrote (exported from its table to a file once) into
#       (r1) a plain table and (r2) a table with tsyncd's primary key, one COPY each.
# It reports and does not judge: the exit status is non-zero only when something failed to run
# or a table does not hold exactly ROWS rows.
set -euo pipefail

cd "$(dirname "$0")/.."
BENCH_NAME=bench/postgres.sh
# shellcheck source=bench/common.sh
source bench/common.sh
FSYNC=${FSYNC:-on}

require_built "" "$FAKE" "$TSYNCD"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -n $pg_bin && -x $pg_bin/initdb ]] || die "initdb not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
command -v psql >/dev/null || die "psql is needed (apt-get install postgresql-client)"
[[ -x /usr/bin/time ]] || die "GNU time is needed for tsyncd's CPU time and peak RSS (apt-get install time)"
[[ $FSYNC == on || $FSYNC == off ]] || die "FSYNC must be on or off"

work=$(mktemp -d "${TMPDIR:-/tmp}/tsyncd-pgbench.XXXXXX")
chmod 755 "$work"
as_server_user=()
if ((EUID == 0)); then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user to run the server"
  as_server_user=(runuser -u postgres --)
  mkdir "$work/pg"
  chown postgres: "$work/pg"
fi
started=()  # pids of the processes this script started
finished=0
stop_all() {
  stop_started
  if [[ -f $work/pg/data/postmaster.pid ]]; then
    "${as_server_user[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if ((finished)); then rm -rf "$work"; else echo "$BENCH_NAME: logs kept in $work" >&2; fi
}
trap stop_all EXIT

# CPU seconds the whole server has used so far: the postmaster with its reaped children (every
# backend that has exited) plus its live children.
server_cpu() {
  local postmaster
  postmaster=$(head -n1 "$work/pg/data/postmaster.pid")
  {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$postmaster/stat"
    for child in $(cat "/proc/$postmaster/task/$postmaster/children" 2>/dev/null); do
      awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$child/stat" 2>/dev/null || true
    done
  } | awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%.2f", t / hz }'
}
cpu_delta() { awk -v a="$1" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }'; }

# --- the server ----------------------------------------------------------------------------------
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "starting PostgreSQL ($("$pg_bin/postgres" --version), fsync $FSYNC) on port $pg_port..." >&2
mkdir -p "$work/pg"
"${as_server_user[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U tsyncd -E UTF8 --locale=C \
  --auth-local=trust --auth-host=trust >"$work/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$work/initdb.log")"
cat >>"$work/pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work/pg'
fsync = $FSYNC
EOF
"${as_server_user[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null ||
  die "the server did not start: $(tail -n 5 "$work/pg/server.log")"
export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE for DROP ... IF EXISTS
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U tsyncd -d "$1" -c "$2"; }
fresh_database() { sql postgres "DROP DATABASE IF EXISTS $1" && sql postgres "CREATE DATABASE $1"; }

# --- the source ------------------------------------------------------------------------------------
start_fake
write_tsyncd_config "{\"type\": \"postgres\", \"dsn\": \"host=127.0.0.1 port=$pg_port user=tsyncd dbname=synced\"}"

# --- (c) tsyncd, then (r) raw COPY of the same rows, REPEAT rounds ----------------------------------
all_c=() all_cpu_c=() all_server_c=() all_r1=() all_r2=() all_server_r2=() loads=()
peak_rss_kib=0
for ((round = 1; round <= REPEAT; round++)); do
  loads+=("$(load1)")
  echo "round $round/$REPEAT: (c) tsyncd sync --once into PostgreSQL..." >&2
  fresh_database synced
  rm -f "$work"/state.db*
  cpu0=$(server_cpu)
  t0=$EPOCHREALTIME
  /usr/bin/time -v -o "$work/time.txt" "$TSYNCD" sync --once --config "$work/tsyncd.json" >"$work/sync.log" 2>&1 ||
    die "tsyncd sync --once failed: $(tail -n 20 "$work/sync.log")"
  all_c+=("$(seconds_since "$t0")")
  sleep 0.5  # until the backend has exited and been reaped
  all_server_c+=("$(cpu_delta "$cpu0")")
  all_cpu_c+=("$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/time.txt")")
  rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time.txt")
  ((rss_kib > peak_rss_kib)) && peak_rss_kib=$rss_kib
  synced=$(sql synced 'SELECT count(*) FROM bench.bench_1m')
  ((synced == ROWS)) || die "tsyncd's table holds $synced rows, expected $ROWS"

  # The rows exactly as tsyncd stored them, every column, in COPY's own text format; the file is
  # written and read by the server itself, so no client transfer is timed.
  rm -f "$work/pg/rows.copy"
  sql synced "COPY bench.bench_1m TO '$work/pg/rows.copy'"
  echo "round $round/$REPEAT: (r) raw COPY of the same rows..." >&2
  fresh_database raw
  # The table shapes come from tsyncd's own DDL: the keyed copy has its primary key, the plain
  # copy none.
  ddl=$(sql synced "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', '
                    ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'bench.bench_1m'::regclass
                    AND attnum > 0 AND NOT attisdropped")
  key=$(sql synced "SELECT pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE conrelid = 'bench.bench_1m'::regclass AND contype = 'p'")
  [[ -n $key ]] || die "tsyncd's table has no primary key"
  sql raw "CREATE TABLE plain ($ddl); CREATE TABLE keyed ($ddl, $key)"
  t0=$EPOCHREALTIME
  sql raw "COPY plain FROM '$work/pg/rows.copy'"
  all_r1+=("$(seconds_since "$t0")")
  cpu0=$(server_cpu)
  t0=$EPOCHREALTIME
  sql raw "COPY keyed FROM '$work/pg/rows.copy'"
  all_r2+=("$(seconds_since "$t0")")
  sleep 0.5
  all_server_r2+=("$(cpu_delta "$cpu0")")
  for table in plain keyed; do
    copied=$(sql raw "SELECT count(*) FROM $table")
    ((copied == ROWS)) || die "raw COPY into $table holds $copied rows, expected $ROWS"
  done
done
best_c=$(smallest "${all_c[@]}") best_r1=$(smallest "${all_r1[@]}") best_r2=$(smallest "${all_r2[@]}")
rate() { awk -v n="$ROWS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
secs_c=${all_c[best_c]} secs_r1=${all_r1[best_r1]} secs_r2=${all_r2[best_r2]}

finished=1
cat <<EOF

tsyncd -> PostgreSQL benchmark: $ROWS rows, page size $PAGE_SIZE, fsync $FSYNC, best of $REPEAT
load average (1 min) at each round: ${loads[*]}
(c)  tsyncd sync --once    ${secs_c} s  $(rate "$secs_c") rows/s  cpu ${all_cpu_c[best_c]} s, server cpu ${all_server_c[best_c]} s  peak RSS $((peak_rss_kib / 1024)) MiB   all: ${all_c[*]}
(r1) COPY, plain table     ${secs_r1} s  $(rate "$secs_r1") rows/s   all: ${all_r1[*]}
(r2) COPY, tsyncd's key    ${secs_r2} s  $(rate "$secs_r2") rows/s  server cpu ${all_server_r2[best_r2]} s   all: ${all_r2[*]}
ratio c / r2               $(awk -v c="$secs_c" -v r="$secs_r2" 'BEGIN { printf "%.2f", c / r }')
EOF
