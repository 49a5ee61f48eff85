// The QuestDB Source: each call is one /exec query whose request, status check, parsing and
// validation run together inside the retry loop, so a truncated or malformed answer is retried
// exactly like a dropped connection, and no row is returned before its whole page is valid.
#include <spdlog/spdlog.h>

#include <functional>

#include "sources/questdb/questdb.h"

namespace tsyncd {
namespace {

// QuestDB closes the socket without an answer when the request head exceeds ~32 KB
// (apis/questdb.md 1); fail clearly before that instead of retrying a dropped connection.
constexpr size_t kMaxTargetBytes = 30 * 1024;

class QuestdbSource final : public Source {
 public:
  explicit QuestdbSource(SourceOptions options) : options_(std::move(options)), http_(options_.http) {}

  Result<TableInfo> discover(const std::string& table, std::stop_token stop) override {
    if (table.empty() || table.find('\'') != std::string::npos) {
      return make_error(ErrorKind::config, options_.http.what + ": '" + table +
                                               "' is not a QuestDB table name (QuestDB rejects names with a "
                                               "single quote)");
    }
    return query<TableInfo>(table, questdb::table_columns_sql(table), stop,
                            [&](std::string& body) { return questdb::parse_table_columns(body, table, options_); });
  }

  Result<std::optional<Bounds>> bounds(const TableInfo& table, std::stop_token stop) override {
    return query<std::optional<Bounds>>(table.name, questdb::bounds_sql(table), stop,
                                        [&](std::string& body) { return questdb::parse_bounds(body, table); });
  }

  Result<std::vector<Row>> read(const TableInfo& table, const TimeRange& range, size_t limit,
                                std::stop_token stop) override {
    if (range.empty()) return std::vector<Row>{};
    return query<std::vector<Row>>(
        table.name, questdb::read_sql(table, range, limit), stop, [&](std::string& body) -> Result<std::vector<Row>> {
          auto rows = questdb::parse_page(page_parser_, body, table);
          if (!rows.ok()) return rows;
          if (Status checked = questdb::check_page(*rows, table, range, limit); !checked.ok()) return checked.error();
          return rows;
        });
  }

  std::string describe() const override {
    return "questdb " + options_.http.host + ":" + std::to_string(options_.http.port);
  }

 private:
  template <class T>
  using Parse = std::function<Result<T>(std::string& body)>;

  template <class T>
  Result<T> query(const std::string& table, const std::string& sql, std::stop_token stop, const Parse<T>& parse) {
    HttpRequest request;
    request.target = questdb::exec_target(sql);
    if (request.target.size() > kMaxTargetBytes) {
      return make_error(ErrorKind::query, about(table) + ": the query for this table is " +
                                              std::to_string(request.target.size()) +
                                              " bytes URL-encoded, over QuestDB's ~32 KB request limit");
    }
    std::optional<T> result;
    Status status = retry_loop(
        options_.retry, stop,
        [&]() -> Status {
          auto response = http_.send(request);  // drops its connection itself on failure
          if (!response.ok()) return in_table(response.error(), table);
          if (response->status != 200) {
            http_.drop_connection();
            return status_error(table, *response);
          }
          auto parsed = parse(response->body);
          if (!parsed.ok()) {
            http_.drop_connection();
            return parsed.error().with_context(about(table));
          }
          result = std::move(parsed.value());
          return ok_status();
        },
        [&](const Error& error, int attempt, Duration wait) {
          spdlog::warn("{} (attempt {} failed; retrying in {})", error.message, attempt, format_duration(wait));
        });
    if (!status.ok()) return status.error();
    return std::move(*result);
  }

  // "questdb connector 'x' at host:9000: table 't'"
  std::string about(const std::string& table) const { return options_.http.what + ": table '" + table + "'"; }

  // The HTTP layer's error, its "<what>: " prefix widened to "<what>: table 't': ".
  Error in_table(const Error& error, const std::string& table) const {
    Error out = error;
    std::string prefix = options_.http.what + ": ";
    std::string_view rest = out.message;
    if (rest.substr(0, prefix.size()) == prefix) rest.remove_prefix(prefix.size());
    out.message = about(table) + ": " + std::string(rest);
    return out;
  }

  Error status_error(const std::string& table, const HttpResponse& response) const {
    std::string message = questdb::server_message(response.body);
    if (response.status == 400 && message.find("table does not exist") != std::string::npos) {
      return make_error(ErrorKind::not_found, about(table) + " does not exist (QuestDB: " + message + ")");
    }
    if (response.status == 400) {
      return make_error(ErrorKind::query, about(table) + ": QuestDB rejected the query: " + message);
    }
    return in_table(error_for_status(options_.http, response, message), table);
  }

  SourceOptions options_;
  HttpClient http_;
  // Kept between pages: allocating its buffers anew made parsing a 100k-row page 6x slower.
  simdjson::ondemand::parser page_parser_;
};

}  // namespace

Result<std::unique_ptr<Source>> make_questdb_source(const SourceOptions& options) {
  SourceOptions named = options;
  if (named.http.what.empty()) {
    named.http.what = "questdb connector '" + options.connector + "' at " + options.http.host + ":" +
                      std::to_string(options.http.port);
  }
  return std::unique_ptr<Source>(std::make_unique<QuestdbSource>(std::move(named)));
}

}  // namespace tsyncd
