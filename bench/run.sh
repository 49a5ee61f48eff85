#!/usr/bin/env bash
# The benchmark of ARCHITECTURE.md section 9, in one command (see bench/README.md):
#
#   bash bench/run.sh                      # after: meson setup build && meson compile -C build
#   ROWS=100000 PAGE_SIZE=5000 REPEAT=1 BUILD_DIR=build-x bash bench/run.sh
#
# Serves a generated bench_1m table from fake_questdb, then measures on the same rows, REPEAT
# rounds of
#   (a) bench_download: the raw download of the pages tsyncd reads,
#   (b) bench_sqlite:   the raw SQLite inserts of the rows tsyncd writes,
#   (c) tsyncd sync --once into a fresh SQLite file (wall and CPU time, peak RSS, row count),
# then starts `tsyncd run` on the synced data for its idle CPU and the /status latency during a
# full resync. It reports and does not judge: the exit status is non-zero only when something
# failed to run or tsyncd's destination does not hold exactly ROWS rows.
set -euo pipefail

cd "$(dirname "$0")/.."
BENCH_NAME=bench/run.sh
# shellcheck source=bench/common.sh
source bench/common.sh
IDLE_SECONDS=10
STATUS_SAMPLES=50
DOWNLOAD=$BUILD_DIR/bench/bench_download
SQLITE=$BUILD_DIR/bench/bench_sqlite

require_built " (options tests and bench on)" "$FAKE" "$TSYNCD" "$DOWNLOAD" "$SQLITE"
command -v curl >/dev/null || die "curl is needed for the /status checks (apt-get install curl)"

work=$(mktemp -d "${TMPDIR:-/tmp}/tsyncd-bench.XXXXXX")
started=()  # pids of the processes this script started
finished=0
stop_all() {
  stop_started
  if ((finished)); then rm -rf "$work"; else echo "$BENCH_NAME: logs kept in $work" >&2; fi
}
trap stop_all EXIT

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }  # the value of key=value in a result line

# --- the source ------------------------------------------------------------------------------
start_fake
write_tsyncd_config "{\"type\": \"sqlite\", \"path\": \"$work/tsyncd.db\"}"
dest_table=bench__bench_1m

# Runs tsyncd sync --once into an empty destination; sets secs_c, cpu_c (user + system seconds)
# and rss_kib (peak resident set). GNU time reports both exactly; without it, /proc/<pid> is
# polled until the process exits: VmHWM is the kernel's own high-water mark, and the CPU time is
# that of the last poll.
run_sync_once() {
  local t0 t1 rc=0
  rm -f "$work"/tsyncd.db* "$work"/state.db*
  if [[ -x /usr/bin/time ]] && /usr/bin/time -v -o /dev/null true 2>/dev/null; then
    rss_method="GNU time"
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$work/time.txt" "$TSYNCD" sync --once --config "$work/tsyncd.json" \
      >"$work/sync.log" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time.txt")
    cpu_c=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/time.txt")
  else
    rss_method="VmHWM polled every 50 ms"
    rss_kib=0
    local ticks=0 key value rest stat
    t0=$EPOCHREALTIME
    "$TSYNCD" sync --once --config "$work/tsyncd.json" >"$work/sync.log" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      while read -r key value rest; do
        [[ $key == VmHWM: ]] && ((value > rss_kib)) && rss_kib=$value
      done 2>/dev/null <"/proc/$pid/status" || true
      if read -r rest 2>/dev/null <"/proc/$pid/stat"; then
        read -r -a stat <<<"${rest##*) }"  # fields from the 3rd on: utime and stime are 14 and 15
        ticks=$((stat[11] + stat[12]))
      fi
      sleep 0.05
    done
    wait "$pid" || rc=$?
    t1=$EPOCHREALTIME
    cpu_c=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
  fi
  ((rc == 0)) || die "tsyncd sync --once failed (exit $rc): $(tail -n 20 "$work/sync.log")"
  secs_c=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# --- (a), (b), (c) ---------------------------------------------------------------------------------
# Each round runs the three back to back, so that a change in the machine's load hits all three;
# the summary shows each one's best round.
lines_a=() lines_b=() all_a=() all_b=() all_c=() all_cpu_c=() loads=()
peak_rss_kib=0
for ((round = 1; round <= REPEAT; round++)); do
  loads+=("$(load1)")
  echo "round $round/$REPEAT: (a) bench_download..." >&2
  line=$("$DOWNLOAD" --port "$fake_port" --table bench_1m --page-size "$PAGE_SIZE") || die "bench_download failed"
  [[ $(field rows <<<"$line") == "$ROWS" ]] || die "bench_download walked $(field rows <<<"$line") rows, expected $ROWS"
  lines_a+=("$line")
  all_a+=("$(field seconds <<<"$line")")

  echo "round $round/$REPEAT: (b) bench_sqlite..." >&2
  line=$("$SQLITE" --port "$fake_port" --table bench_1m --page-size "$PAGE_SIZE" --db "$work/raw.db") ||
    die "bench_sqlite failed"
  rm -f "$work"/raw.db*
  [[ $(field rows <<<"$line") == "$ROWS" ]] || die "bench_sqlite inserted $(field rows <<<"$line") rows, expected $ROWS"
  lines_b+=("$line")
  all_b+=("$(field seconds <<<"$line")")

  echo "round $round/$REPEAT: (c) tsyncd sync --once..." >&2
  run_sync_once
  dest_rows=$("$SQLITE" --count "$work/tsyncd.db" "$dest_table") || die "cannot count $dest_table"
  ((dest_rows == ROWS)) || die "tsyncd's destination holds $dest_rows rows, expected $ROWS"
  pages_c=$(sed -n 's/.* in \([0-9]*\) pages.*/\1/p' "$work/sync.log" | tail -n1)
  all_c+=("$secs_c")
  all_cpu_c+=("$cpu_c")
  if ((rss_kib > peak_rss_kib)); then peak_rss_kib=$rss_kib; fi
done
best_a=$(smallest "${all_a[@]}") best_b=$(smallest "${all_b[@]}") best_c=$(smallest "${all_c[@]}")
line_a=${lines_a[best_a]} line_b=${lines_b[best_b]}
secs_a=${all_a[best_a]} secs_b=${all_b[best_b]} secs_c=${all_c[best_c]} cpu_c=${all_cpu_c[best_c]}

# --- idle CPU and /status latency of tsyncd run ---------------------------------------------------
"$TSYNCD" run --config "$work/tsyncd.json" >"$work/run.log" 2>&1 &
daemon_pid=$!
started+=("$daemon_pid")
daemon_listening() {
  kill -0 "$daemon_pid" 2>/dev/null || die "tsyncd run exited: $(tail -n 20 "$work/run.log")"
  grep -q 'status on http://' "$work/run.log"
}
wait_for 60 "tsyncd run to listen" daemon_listening
status_url=$(sed -n 's/.*status on \(http:[^ ]*\/status\).*/\1/p' "$work/run.log" | head -n1)
base_url=${status_url%/status}

runs_ok() { curl -sf "$status_url" | sed -n 's/.*"runs":{"ok":\([0-9]*\).*/\1/p'; }
table_state() { sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p' "$1"; }
first_run_done() { [[ $(runs_ok) -ge 1 ]]; }
# The startup sync only re-reads the last timestamp; wait for it so that the sample is idle.
wait_for 300 "the startup sync of tsyncd run" first_run_done

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$daemon_pid/stat"; }
echo "idle CPU of tsyncd run over ${IDLE_SECONDS}s..." >&2
ticks0=$(cpu_ticks)
sleep "$IDLE_SECONDS"
ticks1=$(cpu_ticks)
idle_cpu=$(awk -v d=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_SECONDS" \
  'BEGIN { printf "%.2f", 100 * d / hz / s }')

# p50, max (ms) and count of curl time_total values in seconds, one a line on stdin.
latency_stats() { sort -g | awk '{ v[NR] = $1 * 1000 } END { printf "%.2f %.2f %d", v[int((NR + 1) / 2)], v[NR], NR }'; }

# The same requests while nothing runs: what this machine's load alone costs a request.
echo "/status latency while idle..." >&2
idle_latencies=()
for ((i = 0; i < STATUS_SAMPLES; i++)); do
  t=$(curl -sf -o /dev/null -w '%{time_total}' "$status_url") || die "GET /status failed"
  idle_latencies+=("$t")
  sleep 0.05
done
read -r idle_p50 idle_max idle_n <<<"$(printf '%s\n' "${idle_latencies[@]}" | latency_stats)"

echo "/status latency during a full resync..." >&2
runs_before=$(runs_ok)
load_resync=$(load1)
curl -sf -d "" "$base_url/tables/bench/bench_1m/resync" >/dev/null || die "POST .../resync failed"
latencies=()
seen_running=0
deadline=$((SECONDS + 120))
while ((${#latencies[@]} < STATUS_SAMPLES)); do
  t=$(curl -sf -o "$work/status.json" -w '%{time_total}' "$status_url") || die "GET /status failed"
  if [[ $(table_state "$work/status.json") == running ]]; then
    latencies+=("$t")
    seen_running=1
  elif ((seen_running)); then
    break  # the resync ended before all samples were taken; report those taken
  fi
  ((SECONDS < deadline)) || die "the resync did not start within 120s"
  sleep 0.05
done
resync_done() { [[ $(runs_ok) -gt $runs_before ]]; }
wait_for 900 "the resync to finish" resync_done
dest_rows_resync=$("$SQLITE" --count "$work/tsyncd.db" "$dest_table") || die "cannot count $dest_table"
((dest_rows_resync == ROWS)) || die "after the resync the destination holds $dest_rows_resync rows, expected $ROWS"
read -r status_p50 status_max status_n <<<"$(printf '%s\n' "${latencies[@]}" | latency_stats)"
load_end=$(load1)

# --- summary -------------------------------------------------------------------------------------
ratio=$(awk -v a="$secs_a" -v b="$secs_b" -v c="$secs_c" 'BEGIN { m = a > b ? a : b; printf "%.2f", c / m }')
cpu_ratio=$(awk -v a="$(field cpu_seconds <<<"$line_a")" -v b="$(field cpu_seconds <<<"$line_b")" -v c="$cpu_c" \
  'BEGIN { printf "%.2f", c / (a + b) }')
rss_mib=$(awk -v k="$peak_rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
rounds="best of $REPEAT"
cat <<EOF

tsyncd benchmark: $ROWS rows of bench_1m, page_size $PAGE_SIZE, $(nproc) CPUs, times are the $rounds rounds
  rows (tsyncd destination)        $dest_rows
  (a) download, bench_download     $secs_a s   (all: ${all_a[*]}; client CPU $(field cpu_seconds <<<"$line_a") s; $(field mb <<<"$line_a") MiB JSON, $(field requests <<<"$line_a") requests, $(field rows_read <<<"$line_a") rows read)
  (b) SQLite inserts, bench_sqlite $secs_b s   (all: ${all_b[*]}; CPU $(field cpu_seconds <<<"$line_b") s; $(field rows_per_s <<<"$line_b") rows/s, $(field transactions <<<"$line_b") transactions)
  (c) tsyncd sync --once           $secs_c s   (all: ${all_c[*]}; CPU $cpu_c s; ${pages_c:-?} transactions)
  ratio c / max(a, b)              $ratio   (target <= 1.3)
  CPU ratio c / (a + b)            $cpu_ratio   (the work tsyncd adds to the two raw jobs; no target)
  peak RSS of (c)                  $rss_mib MiB   (highest of the rounds; target < 64; $rss_method)
  idle CPU of tsyncd run           $idle_cpu %   (over ${IDLE_SECONDS} s; target near 0)
  /status during a full resync     p50 $status_p50 ms, max $status_max ms over $status_n requests   (target < 10 ms)
  /status while idle (baseline)    p50 $idle_p50 ms, max $idle_max ms over $idle_n requests
  load average (1 min)             ${loads[*]} at the rounds' starts, $load_resync at the resync, $load_end at the end
EOF
finished=1
