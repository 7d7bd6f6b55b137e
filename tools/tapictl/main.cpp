// tapictl: the argv front end over the command table in commands.cpp.

#include <csignal>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <pthread.h>
#include <thread>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

/** SIGINT/SIGTERM are taken by one thread (sigwait) that tells the running session. */
void startSignalThread(tapictl::Context& ctx, const sigset_t& set) {
  std::thread([&ctx, set] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      ctx.stop = true;
      ctx.waker->wake();
    }
  }).detach();
}

/** Lines from stdin go to the session (watch); EOF just stops reading. */
void startInputThread(tapictl::Context& ctx) {
  std::thread([&ctx] {
    std::string line;
    while (std::getline(std::cin, line)) {
      {
        std::lock_guard lock(ctx.inputMutex);
        ctx.input.push_back(line);
      }
      ctx.waker->wake();
    }
    std::lock_guard lock(ctx.inputMutex);
    ctx.inputClosed = true;
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  // Block the signals before any thread exists, so every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // Context outlives the detached threads' use of it: it is static.
  static tapictl::Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;

  CLI::App app{"tapictl: operate and try a tapid server (docs/tapictl.md)"};
  app.require_subcommand(1);
  app.add_option("--server", ctx.server, "unix:PATH or tcp://HOST:PORT")
      ->envname("TAPI_SERVER")
      ->capture_default_str();
  app.add_option("--token", ctx.token,
                 "bearer token for tcp (default: ./var/tapid.token)")
      ->envname("TAPI_TOKEN");
  app.add_flag("--json", ctx.json, "machine-readable output (one JSON value per line)");

  struct Parsed {
    const tapictl::Command* command = nullptr;
    CLI::App* sub = nullptr;
    std::map<std::string, std::string> values;
    std::map<std::string, bool> flags;
  };
  // std::deque: the storage CLI11 writes into must not move.
  std::deque<Parsed> parsed;
  for (const auto& cmd : tapictl::commands()) {
    auto& p = parsed.emplace_back();
    p.command = &cmd;
    p.sub = app.add_subcommand(cmd.name, cmd.help);
    p.sub->fallthrough();  // global options may also follow the command name
    for (const auto& pos : cmd.positionals) {
      auto* o = p.sub->add_option(pos.name, p.values[pos.name], pos.help);
      if (pos.required) {
        o->required();
      }
    }
    for (const auto& opt : cmd.options) {
      if (opt.flag) {
        p.sub->add_flag("--" + opt.name, p.flags[opt.name], opt.help);
      } else {
        auto* o = p.sub->add_option("--" + opt.name, p.values[opt.name], opt.help);
        if (!opt.defaultValue.empty()) {
          o->default_str(opt.defaultValue);
        }
      }
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : tapictl::kUsage;
  }
  for (auto& p : parsed) {
    if (!p.sub->parsed()) {
      continue;
    }
    tapictl::Args args;
    for (const auto& pos : p.command->positionals) {
      if (p.sub->count(pos.name) > 0) {
        args.values[pos.name] = p.values[pos.name];
      }
    }
    for (const auto& opt : p.command->options) {
      if (opt.flag) {
        if (p.flags[opt.name]) {
          args.flags.insert(opt.name);
        }
      } else if (p.sub->count("--" + opt.name) > 0) {
        args.values[opt.name] = p.values[opt.name];
      }
    }
    startSignalThread(ctx, set);
    if (p.command->name == "watch") {
      startInputThread(ctx);
    }
    const int rc = p.command->handler(ctx, args);
    ctx.runtime.reset();  // closes the connections before static destruction
    std::cout.flush();
    return rc;
  }
  return tapictl::kUsage;
}
