# Shared by the benchmark scripts (bench/run.sh, bench/postgres.sh); sourced, not run, from the
# project root. The caller sets BENCH_NAME (for messages), creates $work and an empty `started`
# array, and traps EXIT to call stop_started.

# The environment both scripts take (bench/README.md).
BUILD_DIR=${BUILD_DIR:-build}
ROWS=${ROWS:-1000000}
PAGE_SIZE=${PAGE_SIZE:-10000}
REPEAT=${REPEAT:-3}

FAKE=$BUILD_DIR/tests/fakes/questdb/fake_questdb
TSYNCD=$BUILD_DIR/daemon/tsyncd

die() {
  echo "$BENCH_NAME: $*" >&2
  exit 1
}

# Stops the processes the script started (their pids are in `started`).
stop_started() {
  local pid
  for pid in "${started[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# require_built HINT EXECUTABLE...: stops with how to build them when one is missing.
require_built() {
  local hint=$1 exe
  shift
  for exe in "$@"; do
    [[ -x $exe ]] || die "$exe is missing: run 'meson setup $BUILD_DIR && meson compile -C $BUILD_DIR'$hint"
  done
  ((REPEAT >= 1)) || die "REPEAT must be at least 1"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# Seconds since an earlier $EPOCHREALTIME, with milliseconds.
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

# wait_for SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, for at most SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

# The index of the smallest of the arguments (decimal numbers).
smallest() {
  local -a v=("$@")
  local i best=0
  for i in "${!v[@]}"; do
    awk -v x="${v[i]}" -v y="${v[best]}" 'BEGIN { exit !(x < y) }' && best=$i
  done
  echo "$best"
}

# Serves ROWS generated rows of the bench_1m table from fake_questdb (README: its columns and tie
# groups) and sets fake_port once the table is ready.
start_fake() {
  echo "generating $ROWS rows in fake_questdb..." >&2
  "$FAKE" --port 0 --generate bench_1m --rows "$ROWS" >"$work/fake.port" 2>"$work/fake.log" &
  fake_pid=$!
  started+=("$fake_pid")
  wait_for 900 "fake_questdb to generate the table" fake_ready
  fake_port=$(head -n1 "$work/fake.port")
}
fake_ready() {
  kill -0 "$fake_pid" 2>/dev/null || die "fake_questdb exited: $(cat "$work/fake.log")"
  [[ -s $work/fake.port ]]
}

# Writes $work/tsyncd.json: connector "bench" with the bench_1m table of the fake, into the
# destination given as a JSON object.
write_tsyncd_config() {
  cat >"$work/tsyncd.json" <<CONFIG
{
  "state_path": "$work/state.db",
  "destination": $1,
  "status": {"listen": "127.0.0.1:0"},
  "defaults": {"page_size": $PAGE_SIZE, "sync_every": "1h"},
  "log_level": "info",
  "connectors": [
    {"name": "bench", "type": "questdb",
     "configuration": {"host": "127.0.0.1", "port": $fake_port, "tables": "bench_1m"}}
  ]
}
CONFIG
}
