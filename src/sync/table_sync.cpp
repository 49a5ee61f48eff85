#include <algorithm>
#include <future>

#include <spdlog/spdlog.h>

#include "sync.h"

namespace tsyncd {
namespace {

int64_t to_units(Duration d, TimeUnit unit) { return d.count() * (units_per_second(unit) / 1000); }

// The rows of one read must lie in the requested range, ordered by time. A source that breaks
// this would make the tie logic unsound, so it is an error rather than something to work around.
Status check_page(const std::vector<Row>& rows, const TimeRange& range, TimeUnit unit) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!range.contains(rows[i].ts))
      return make_error(ErrorKind::protocol, "source returned a row at " + format_iso_time(rows[i].ts, unit) +
                                                 " outside the requested range " + range.describe(unit));
    if (i > 0 && rows[i].ts < rows[i - 1].ts)
      return make_error(ErrorKind::protocol, "source returned rows out of time order at " +
                                                 format_iso_time(rows[i].ts, unit));
  }
  return ok_status();
}

// Where one sync starts and stops, in the table's native unit; nullopt when there is nothing to do.
struct Window {
  int64_t lo;
  int64_t hi;  // inclusive: the frozen upper bound
};

Result<std::optional<Window>> plan_window(const SyncJob& job, const TableInfo& info,
                                          const std::optional<Bounds>& bounds, const std::optional<Cursor>& cursor) {
  const TimeUnit unit = info.time_unit;
  if (job.resync) {
    if (!bounds && (!job.resync->from_iso || !job.resync->to_iso)) return std::optional<Window>();
    int64_t lo = bounds ? bounds->min_ts : 0, hi = bounds ? bounds->max_ts : 0;
    if (job.resync->from_iso) {
      auto parsed = parse_iso_time(*job.resync->from_iso, unit);
      if (!parsed) return make_error(ErrorKind::config, "resync 'from': " + parsed.error().message);
      lo = *parsed;
    }
    if (job.resync->to_iso) {
      auto parsed = parse_iso_time(*job.resync->to_iso, unit);
      if (!parsed) return make_error(ErrorKind::config, "resync 'to': " + parsed.error().message);
      hi = *parsed;
    }
    if (lo > hi) return std::optional<Window>();
    return std::optional<Window>(Window{lo, hi});
  }
  if (!bounds && !cursor) return std::optional<Window>();  // never synced, nothing to read
  int64_t hi = bounds ? bounds->max_ts : cursor->resume_ts;
  if (job.settings.settle.count() > 0) hi = std::min(hi, now_in(unit) - to_units(job.settings.settle, unit));
  // Rows deleted at the end of the table move the source's max back; the window still has to
  // reach what was synced before, or those rows would stay in the destination forever.
  if (cursor) hi = std::max(hi, cursor->resume_ts);
  int64_t lo = cursor ? cursor->resume_ts - to_units(job.settings.lookback, unit) : bounds->min_ts;
  if (lo > hi) return std::optional<Window>();
  return std::optional<Window>(Window{lo, hi});
}

// Runs the page loop of architecture 4 over one window.
class PageLoop {
 public:
  // `advance_cursor` false: a re-read of a range that does not move the cursor (a resync, a
  // rewritten chunk).
  PageLoop(const SyncJob& job, const TableInfo& info, std::optional<int64_t> stored_cursor, bool advance_cursor,
           std::stop_token stop, const ProgressFn& progress, SyncOutcome& outcome)
      : job_(job),
        info_(info),
        stored_cursor_(stored_cursor),
        advance_cursor_(advance_cursor),
        stop_(stop),
        progress_(progress),
        outcome_(outcome) {}

  Status run(Window window) {
    const size_t page_size = job_.settings.page_size;
    TimeRange want{window.lo, window.hi, true};
    size_t limit = page_size;
    auto inflight = fetch(want, limit);
    while (true) {
      Result<std::vector<Row>> page = inflight.get();
      if (!page) return page.error();
      std::vector<Row>& rows = *page;
      if (Status s = check_page(rows, want, info_.time_unit); !s) return s;

      // Decide what this page completes and what to read next.
      TimeRange write_range = want;
      std::optional<TimeRange> next;
      int64_t resume;
      if (limit == 0) {
        // A whole tie group [t, t] (the range may start earlier when nothing lay before t).
        resume = want.hi == window.hi ? window.hi : want.hi + 1;
        if (want.hi < window.hi) next = TimeRange{want.hi + 1, window.hi, true};
      } else if (rows.size() < limit) {
        resume = window.hi;  // complete up to hi; the next sync re-reads hi's tie group for late ties
      } else {
        const int64_t t = rows.back().ts;
        if (rows.front().ts == t) {
          // One timestamp fills the page: read that tie group by itself, unlimited, so that a tie
          // group of any size terminates. Nothing lies in [want.lo, t), so the group's write covers it.
          want = TimeRange{want.lo, t, true};
          limit = 0;
          inflight = fetch(TimeRange{t, t, true}, 0);
          continue;
        }
        // Rows at t may continue on the next page: keep only what is complete, [lo, t).
        rows.erase(std::lower_bound(rows.begin(), rows.end(), t,
                                    [](const Row& r, int64_t ts) { return r.ts < ts; }),
                   rows.end());
        write_range = TimeRange{want.lo, t, false};
        resume = t;
        next = TimeRange{t, window.hi, true};
      }

      // Pipeline: fetch the next page while this one is written.
      if (next && !stop_.stop_requested()) {
        want = *next;
        limit = page_size;
        inflight = fetch(want, limit);
      }
      if (Status s = write(write_range, rows, resume); !s) return s;
      if (!next) return ok_status();
      if (stop_.stop_requested()) {
        outcome_.interrupted = true;
        return ok_status();
      }
    }
  }

 private:
  std::future<Result<std::vector<Row>>> fetch(TimeRange range, size_t limit) {
    return std::async(std::launch::async, [this, range, limit]() -> Result<std::vector<Row>> {
      try {
        return job_.source.read(info_, range, limit, stop_);
      } catch (const std::exception& e) {
        return make_error(ErrorKind::internal, std::string("reading from the source: ") + e.what());
      }
    });
  }

  Status write(const TimeRange& range, std::vector<Row>& rows, int64_t resume) {
    assign_row_identity(rows, info_.key_indexes);
    if (Status s = job_.destination.replace_range(job_.ref, info_, range, rows); !s) return s;
    // The cursor never moves backwards: re-reading a lookback window must not make the next run
    // start earlier than the last one finished. A resync never moves it at all: its range may
    // end beyond what the incremental sync has read, and rows arriving below that end later
    // would then be skipped.
    std::optional<int64_t> cursor = stored_cursor_;
    if (advance_cursor_) cursor = stored_cursor_ ? std::max(*stored_cursor_, resume) : resume;
    if (cursor) {
      Cursor c{*cursor, info_.time_unit, info_.time_column().name};
      if (Status s =
              job_.state.commit_cursor(job_.ref.connector, job_.ref.table, c, static_cast<int64_t>(rows.size()));
          !s)
        return s;
    }
    stored_cursor_ = cursor;
    outcome_.cursor = cursor;
    outcome_.rows_written += static_cast<int64_t>(rows.size());
    outcome_.pages += 1;
    if (progress_) progress_(outcome_);
    return ok_status();
  }

  const SyncJob& job_;
  const TableInfo& info_;
  std::optional<int64_t> stored_cursor_;
  const bool advance_cursor_;
  std::stop_token stop_;
  const ProgressFn& progress_;
  SyncOutcome& outcome_;
};

// Logs a table's schema when it is first seen or changes, and what cannot be synced, once.
void note_schema(const SyncJob& job, const TableInfo& info) {
  const std::string text = describe_schema(info);
  auto previous = job.state.schema(job.ref.connector, job.ref.table);
  if (previous.ok() && *previous && **previous == text) return;
  spdlog::info("[{}/{}] schema: {} columns, time column '{}' ({}){}", job.ref.connector, job.ref.table,
               info.columns.size(), info.time_column().name, to_string(info.time_unit),
               previous.ok() && *previous ? " (changed since the last sync)" : "");
  for (const std::string& skipped : info.skipped_columns)
    spdlog::warn("[{}/{}] column not synced: {}", job.ref.connector, job.ref.table, skipped);
  if (Status s = job.state.save_schema(job.ref.connector, job.ref.table, text); !s)
    spdlog::warn("[{}/{}] could not save the schema: {}", job.ref.connector, job.ref.table, s.error().message);
}

// The source's chunk versions now, and the ranges below `below` whose chunks changed since the
// last complete sync. Chunks above `below` are read by the sync window anyway. A failure to list
// them costs only the widening, so it is logged and the sync goes on.
struct ChunkPlan {
  std::optional<std::string> save;  // what to store once this sync completes
  std::vector<TimeRange> reread;    // [lo, hi), ascending
};

Result<ChunkPlan> plan_chunks(const SyncJob& job, const TableInfo& info, bool has_cursor, std::stop_token stop) {
  ChunkPlan plan;
  if (job.resync) return plan;  // a resync reads one range; the rest still has to be compared later
  auto listed = job.source.chunk_versions(info, stop);
  if (!listed) {
    if (listed.error().kind == ErrorKind::cancelled) return listed.error();
    spdlog::warn("[{}/{}] could not list the source's chunks, so only the lookback window is re-read: {}",
                 job.ref.connector, job.ref.table, listed.error().message);
    return plan;
  }
  if (!*listed) return plan;
  const std::string now = encode_chunk_versions(**listed);
  auto stored = job.state.chunk_versions(job.ref.connector, job.ref.table);
  if (!stored) return stored.error();
  if (*stored && **stored == now) return plan;  // nothing rewritten, nothing to store
  plan.save = now;
  if (!has_cursor || !*stored) return plan;
  if (auto before = decode_chunk_versions(**stored)) plan.reread = changed_chunks(*before, *decode_chunk_versions(now));
  return plan;
}

// Re-reads the changed chunks below the sync window, [lo, min(hi, below)), without moving the cursor.
Status reread_chunks(const SyncJob& job, const TableInfo& info, const std::vector<TimeRange>& ranges, int64_t below,
                     std::optional<int64_t> cursor, std::stop_token stop, const ProgressFn& progress,
                     SyncOutcome& outcome) {
  std::vector<TimeRange> clipped;
  std::string listed;
  for (const TimeRange& r : ranges) {
    if (r.lo >= below) break;
    clipped.push_back(TimeRange{r.lo, std::min(r.hi, below), false});
    if (!listed.empty()) listed += ", ";
    listed += clipped.back().describe(info.time_unit);
  }
  if (clipped.empty()) return ok_status();
  spdlog::info("[{}/{}] the source rewrote data behind the lookback window (compaction, re-ingestion or drop): "
               "re-reading {}", job.ref.connector, job.ref.table, listed);
  for (const TimeRange& r : clipped) {
    if (stop.stop_requested()) break;
    PageLoop loop(job, info, cursor, false, stop, progress, outcome);
    if (Status s = loop.run(Window{r.lo, r.hi - 1}); !s) return s;
  }
  return ok_status();
}

}  // namespace

Result<SyncOutcome> run_sync(const SyncJob& job, std::stop_token stop, const ProgressFn& progress) {
  if (job.settings.page_size == 0) return make_error(ErrorKind::internal, "page_size must be positive");
  auto info = job.source.discover(job.ref.table, stop);
  if (!info) return info.error();
  note_schema(job, *info);
  if (Status s = job.destination.ensure_table(job.ref, *info); !s) return s.error();

  SyncOutcome outcome;
  outcome.unit = info->time_unit;
  outcome.time_column = info->time_column().name;

  auto stored = job.state.cursor(job.ref.connector, job.ref.table);
  if (!stored) return stored.error();
  std::optional<Cursor> cursor = *stored;
  if (cursor && (cursor->time_column != info->time_column().name || cursor->unit != info->time_unit)) {
    spdlog::warn("[{}/{}] the time column changed from '{}' ({}) to '{}' ({}): syncing from the start again",
                 job.ref.connector, job.ref.table, cursor->time_column, to_string(cursor->unit),
                 info->time_column().name, to_string(info->time_unit));
    cursor.reset();
  }
  if (cursor) outcome.cursor = cursor->resume_ts;

  // Listed before anything is read, so a chunk rewritten while this sync reads shows up as
  // changed next time.
  auto chunks = plan_chunks(job, *info, cursor.has_value(), stop);
  if (!chunks) return chunks.error();

  auto bounds = job.source.bounds(*info, stop);
  if (!bounds) return bounds.error();
  if (*bounds) outcome.source_max = (*bounds)->max_ts;

  auto window = plan_window(job, *info, *bounds, cursor);
  if (!window) return window.error();
  if (!*window) return outcome;
  if (stop.stop_requested()) {
    outcome.interrupted = true;
    return outcome;
  }

  std::optional<int64_t> stored_resume;
  if (cursor) stored_resume = cursor->resume_ts;
  if (Status s = reread_chunks(job, *info, chunks->reread, (*window)->lo, stored_resume, stop, progress, outcome); !s)
    return s.error();
  if (stop.stop_requested()) {
    outcome.interrupted = true;
    return outcome;
  }
  PageLoop loop(job, *info, stored_resume, !job.resync, stop, progress, outcome);
  if (Status s = loop.run(**window); !s) return s.error();
  if (chunks->save && !outcome.interrupted) {
    if (Status s = job.state.save_chunk_versions(job.ref.connector, job.ref.table, *chunks->save); !s)
      return s.error();
  }
  return outcome;
}

}  // namespace tsyncd
