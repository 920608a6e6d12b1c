#include "app/serve_command.hpp"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cli_support.hpp"
#include "experiments/explorer_api.hpp"
#include "web_assets.hpp"

namespace gammalab::app {

namespace {

namespace fs = std::filesystem;
using experiments::ApiReply;

// Only what the program itself serves: no script, style or image from anywhere else.
const httplib::Headers kHeaders = {
    {"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-store"}};

void send(httplib::Response& response, const ApiReply& reply) {
  response.status = reply.status;
  response.set_content(reply.body.dump(), "application/json");
}

experiments::ApiQuery query_of(const httplib::Request& request) {
  experiments::ApiQuery query;
  for (const auto& [key, value] : request.params) query.emplace(key, value);  // the first of repeated keys
  return query;
}

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

void route(httplib::Server& server, const fs::path& results) {
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server
  // would silently share a port that is in use.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_default_headers(kHeaders);
  // web/index.html at /, web/app.js at /app.js, schema/summary.schema.json at /schema/….
  for (const auto& asset : web_assets()) {
    const std::string body(reinterpret_cast<const char*>(asset.data), asset.size);
    const std::string type = asset.content_type;
    const std::string name = asset.name;
    const std::string path = name == "web/index.html" ? "/" : name.rfind("web/", 0) == 0 ? name.substr(3) : "/" + name;
    server.Get(path, [body, type](const httplib::Request&, httplib::Response& response) { response.set_content(body, type); });
  }
  server.Get("/api/vocabulary", [](const httplib::Request&, httplib::Response& response) {
    send(response, {200, experiments::vocabulary_document()});
  });
  server.Get("/api/engine", [](const httplib::Request& request, httplib::Response& response) {
    send(response, experiments::engine_reply(query_of(request)));
  });
  server.Get("/api/results", [results](const httplib::Request&, httplib::Response& response) {
    send(response, experiments::results_list_reply(results));
  });
  server.Get("/api/result", [results](const httplib::Request& request, httplib::Response& response) {
    send(response, experiments::result_reply(results, request.get_param_value("name")));
  });
  // A file of a result directory (a figure), never one outside --results.
  server.Get(R"(/files/(.*))", [results](const httplib::Request& request, httplib::Response& response) {
    const auto file = experiments::file_under(results, request.matches[1]);
    if (!file) {
      send(response, {404, {{"error", "'" + std::string(request.matches[1]) + "' is not a file under the results folder"},
                             {"field", "path"}}});
      return;
    }
    response.set_content(read_file(*file), experiments::content_type_of(*file));
  });
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return;  // a handler's own refusal
    send(response, {response.status, {{"error", "nothing at " + request.path}, {"field", "path"}}});
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send(response, {500, {{"error", "the server failed: " + what}, {"field", ""}}});
  });
}

}  // namespace

std::function<int()> add_serve_command(CLI::App& app) {
  struct Options {
    int port = 8080;
    std::string host = "127.0.0.1";
    std::string results = "results";
    bool results_given = false;
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("serve", "The explorer page: the engine as you move the exponents, and result directories");
  command->add_option("--port", o->port, "TCP port (0: any free one; the address is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  auto* results = command->add_option("--results", o->results, "The folder whose result directories the page lists")
                      ->capture_default_str();
  command->add_option("--host", o->host, "The address to listen on; other machines reach it only if you widen this")
      ->capture_default_str();
  return [o, results] {
    if (results->count() > 0 && !fs::is_directory(o->results))
      throw InputError("--results: " + o->results + " is not a folder");
    httplib::Server server;
    route(server, fs::absolute(o->results));
    int port = o->port;
    if (port == 0) {
      port = server.bind_to_any_port(o->host);
      if (port < 0) throw InputError("--host: cannot listen on " + o->host);
    } else if (!server.bind_to_port(o->host, port)) {
      throw InputError("--port: cannot listen on " + o->host + ":" + std::to_string(port) + " (in use? --port 0 picks a free one)");
    }
    std::cout << "gammalab serve: http://" << o->host << ":" << port << "/ (results from " << fs::absolute(o->results).string()
              << "); Ctrl-C stops" << std::endl;
    return server.listen_after_bind() ? 0 : 1;
  };
}

}  // namespace gammalab::app
