#include <httplib.h>

#include <thread>

#include "status.h"

namespace tsyncd {
namespace {

// Compares without an early exit so the token cannot be guessed byte by byte from timings.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

int64_t unix_ms() { return now_in(TimeUnit::ms); }

}  // namespace

struct StatusServer::Impl {
  StatusServerOptions options;
  SnapshotFn snapshot;
  TriggerFn trigger;
  LoopAgeFn loop_age;
  httplib::Server server;
  std::thread thread;

  void routes() {
    server.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
      auto s = snapshot();
      StatusSnapshot copy = *s;
      copy.generated_ms = unix_ms();
      res.set_content(render_status_json(copy), "application/json");
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(render_metrics(*snapshot()), "text/plain; version=0.0.4");
    });
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      std::string reason;
      double age = loop_age();
      if (age > 30) {
        res.status = 503;
        res.set_content("event loop has not run for " + std::to_string(static_cast<int>(age)) + " s\n", "text/plain");
        return;
      }
      if (!is_healthy(*snapshot(), unix_ms(), &reason)) {
        res.status = 503;
        res.set_content(reason + "\n", "text/plain");
        return;
      }
      res.set_content("ok\n", "text/plain");
    });
    server.Post(R"(/tables/([^/]+)/([^/]+)/(sync|resync))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!options.token.empty()) {
        std::string auth = req.get_header_value("Authorization");
        if (auth.rfind("Bearer ", 0) != 0 || !same_secret(auth.substr(7), options.token)) {
          res.status = 401;
          res.set_content("{\"error\":\"a valid 'Authorization: Bearer <token>' header is required\"}\n",
                          "application/json");
          return;
        }
      }
      TriggerRequest t;
      t.connector = httplib::detail::decode_url(req.matches[1].str(), false);
      t.table = httplib::detail::decode_url(req.matches[2].str(), false);
      t.kind = req.matches[3].str() == "resync" ? TriggerKind::resync : TriggerKind::sync;
      if (req.has_param("from")) t.from_iso = req.get_param_value("from");
      if (req.has_param("to")) t.to_iso = req.get_param_value("to");
      if (t.kind == TriggerKind::sync && (t.from_iso || t.to_iso)) {
        res.status = 400;
        res.set_content("{\"error\":\"'from' and 'to' apply to /resync only\"}\n", "application/json");
        return;
      }
      Status s = trigger(t);
      if (!s) {
        res.status = s.error().kind == ErrorKind::not_found ? 404 : 400;
        res.set_content("{\"error\":" + json_quote(s.error().message) + "}\n", "application/json");
        return;
      }
      res.status = 202;
      res.set_content("{\"queued\":" + json_quote(t.kind == TriggerKind::sync ? "sync" : "resync") + "}\n",
                      "application/json");
    });
  }
};

StatusServer::StatusServer(StatusServerOptions options, SnapshotFn snapshot, TriggerFn trigger, LoopAgeFn loop_age)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->snapshot = std::move(snapshot);
  impl_->trigger = std::move(trigger);
  impl_->loop_age = std::move(loop_age);
  impl_->routes();
}

StatusServer::~StatusServer() { stop(); }

Result<int> StatusServer::start() {
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->server.bind_to_any_port(impl_->options.host);
    if (port < 0) return make_error(ErrorKind::config, "status: cannot listen on " + impl_->options.host);
  } else if (!impl_->server.bind_to_port(impl_->options.host, port)) {
    return make_error(ErrorKind::config, "status: cannot listen on " + impl_->options.host + ":" +
                                             std::to_string(port) + " (in use, or not an address of this host)");
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  return port;
}

void StatusServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace tsyncd
