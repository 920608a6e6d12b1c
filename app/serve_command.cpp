#include "app/serve_command.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <semaphore>
#include <sstream>
#include <thread>

#include "app/cli_support.hpp"
#include "experiments/explorer_api.hpp"
#include "gamma/work_limit.hpp"
#include "web_assets.hpp"

namespace gammalab::app {

namespace {

namespace fs = std::filesystem;
using experiments::ApiReply;
using Clock = std::chrono::steady_clock;

// The server's limits: each holds whatever clients do, and docs/engine.md states them.
constexpr std::size_t kWorkers = 64;          // connections served at once, one thread each
constexpr std::size_t kQueued = 256;          // accepted connections waiting for a worker; then accepting waits
constexpr auto kRequestTime = std::chrono::seconds(5);  // to send a whole request: line, headers and body
constexpr auto kIdleTime = std::chrono::seconds(5);     // between requests on a kept-alive connection
constexpr auto kWriteTime = std::chrono::seconds(5);    // for the client to take each part of a reply
constexpr std::size_t kRequestsPerConnection = 100;
constexpr std::size_t kPayloadBytes = 64 * 1024;        // a request body (no route takes one)
constexpr auto kEngineTime = std::chrono::seconds(10);  // an engine request, waiting for its turn included
// Engine requests computing at once: all cores but one, so that the other requests
// always find a core (the engine's own work limit bounds each, gamma/work_limit.hpp).
std::size_t engine_slots() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

int milliseconds_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

// Whether `events` come on the socket before the deadline.
bool wait_for(socket_t socket, short events, Clock::time_point deadline) {
  pollfd one{socket, events, 0};
  int ready;
  do ready = ::poll(&one, 1, milliseconds_until(deadline));
  while (ready < 0 && errno == EINTR);
  return ready > 0 && (one.revents & (events | POLLHUP | POLLERR)) != 0;
}

// Whether the client closed its side (or the connection broke): checked while its
// engine request computes, so that the computation stops when nobody waits for it.
bool client_left(socket_t socket) {
  pollfd one{socket, POLLRDHUP, 0};
  return ::poll(&one, 1, 0) > 0 && (one.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::string address_of(socket_t socket, bool peer, int* port = nullptr) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if ((peer ? ::getpeername : ::getsockname)(socket, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  char text[INET6_ADDRSTRLEN] = "";
  int number = 0;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    number = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    number = ntohs(v6->sin6_port);
  }
  if (port) *port = number;
  return text;
}

// A connection's socket with a deadline for the whole request: a client that sends a
// header line a second, or half a request and then nothing, is cut off at the deadline
// however often it sends a byte (httplib's own timeout counts from the last byte only).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(socket_t socket, Clock::time_point deadline) : socket_(socket), deadline_(deadline) {}
  bool is_readable() const override {
    if (wait_for(socket_, POLLIN, deadline_)) return true;
    expired_ = true;
    return false;
  }
  // Whether the request did not arrive whole by the deadline (httplib answers it 400, and
  // the connection is closed then, not kept for the next request).
  bool expired() const { return expired_; }
  bool is_writable() const override { return wait_for(socket_, POLLOUT, Clock::now() + kWriteTime); }
  ssize_t read(char* bytes, size_t size) override {
    if (!is_readable()) return -1;
    ssize_t got;
    do got = ::recv(socket_, bytes, size, 0);
    while (got < 0 && errno == EINTR);
    return got;
  }
  ssize_t write(const char* bytes, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t sent;
    do sent = ::send(socket_, bytes, size, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = address_of(socket_, true, &port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = address_of(socket_, false, &port); }
  socket_t socket() const override { return socket_; }

 private:
  socket_t socket_;
  Clock::time_point deadline_;
  mutable bool expired_ = false;
};

// A fixed set of worker threads and a bounded queue: when kQueued connections wait,
// the accepting thread waits too, and further clients wait in the kernel's backlog.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool() {
    for (std::size_t i = 0; i < kWorkers; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> job) override {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return jobs_.size() < kQueued || stopping_; });
    jobs_.push_back(std::move(job));
    has_job_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    has_job_.notify_all();
    has_room_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

 private:
  void work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        has_job_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        has_room_.notify_one();
      }
      job();
    }
  }
  std::mutex mutex_;
  std::condition_variable has_job_, has_room_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

// The socket of the connection this worker thread serves, for its handlers.
thread_local socket_t t_client = INVALID_SOCKET;

// cpp-httplib's server with the limits above: each connection is served here, with a
// deadline per request, instead of by the library's own loop.
class GuardedServer : public httplib::Server {
 public:
  GuardedServer() {
    new_task_queue = [] { return new BoundedPool; };
    set_payload_max_length(kPayloadBytes);
  }

 private:
  bool process_and_close_socket(socket_t socket) override {
    t_client = socket;
    for (std::size_t served = 0; served < kRequestsPerConnection; ++served) {
      if (!wait_for(socket, POLLIN, Clock::now() + (served == 0 ? kRequestTime : kIdleTime))) break;
      DeadlineStream stream(socket, Clock::now() + kRequestTime);
      bool closed = false;
      if (!process_request(stream, served + 1 == kRequestsPerConnection, closed, nullptr) || closed || stream.expired())
        break;
    }
    t_client = INVALID_SOCKET;
    ::shutdown(socket, SHUT_RDWR);
    ::close(socket);
    return true;
  }
};

// An engine request within the server's limits: it waits for one of engine_slots(), and
// stops when its time is up or its client has left (the engine asks between steps).
ApiReply engine_within_limits(const experiments::ApiQuery& query, std::counting_semaphore<>& turns,
                              ApiReply (*answer)(const experiments::ApiQuery&) = experiments::engine_reply) {
  const Clock::time_point deadline = Clock::now() + kEngineTime;
  const auto busy = [] {
    return ApiReply{503, {{"error", "the engine did not answer within the server's limit of " +
                                        std::to_string(kEngineTime.count()) + " s; try again, or fix a free parameter"},
                          {"field", ""}}};
  };
  if (!turns.try_acquire_until(deadline)) return busy();
  struct Release {
    std::counting_semaphore<>& turns;
    ~Release() { turns.release(); }
  } release{turns};
  const socket_t client = t_client;
  bool stopped = false;
  gamma::WorkLimit limit(gamma::kWorkLimit, [&]() -> std::string {
    if (Clock::now() > deadline) stopped = true;
    else if (client != INVALID_SOCKET && client_left(client)) stopped = true;
    return stopped ? "the request's time is up or its client left" : "";
  });
  ApiReply reply = answer(query);
  return stopped ? busy() : reply;
}

// Only what the program itself serves: no script, style or image from anywhere else.
const httplib::Headers kHeaders = {
    {"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-store"}};

// Text from a request (a path, a value) may be any bytes: invalid UTF-8 is written as
// U+FFFD rather than failing the reply.
void send(httplib::Response& response, const ApiReply& reply) {
  response.status = reply.status;
  response.set_content(reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
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

void route(httplib::Server& server, const fs::path& results, std::counting_semaphore<>& engine_turns) {
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
  server.Get("/api/engine", [&engine_turns](const httplib::Request& request, httplib::Response& response) {
    send(response, engine_within_limits(query_of(request), engine_turns));
  });
  server.Get("/api/mlp", [&engine_turns](const httplib::Request& request, httplib::Response& response) {
    send(response, engine_within_limits(query_of(request), engine_turns, experiments::mlp_reply));
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
  // A failure of the server's own (a bug, or memory running out) is logged here; the
  // client gets a plain sentence, never a library's text.
  server.set_exception_handler([](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << "gammalab serve: " << request.path << ": " << e.what() << std::endl;
    } catch (...) {
      std::cerr << "gammalab serve: " << request.path << ": an unknown failure" << std::endl;
    }
    send(response, {500, {{"error", "the server failed on this request; its log says why"}, {"field", ""}}});
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
    GuardedServer server;
    std::counting_semaphore<> engine_turns(static_cast<std::ptrdiff_t>(engine_slots()));
    route(server, fs::absolute(o->results), engine_turns);
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
