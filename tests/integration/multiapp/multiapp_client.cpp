// One application of the multi-app test, in its own process: reads commands on stdin,
// drives the tapi.hpp API against a tapid (Runtime::connect), and answers each command
// with one line on stdout. Protocol (all numbers decimal):
//   init NAME            -> ok HLINEAPP
//   open DEVICE PRIV     -> ok HLINE          (PRIV: OWNER, MONITOR or BOTH)
//   make DEST            -> ok REQUESTID HCALL
//   next MS              -> msg TYPE HDEVICE P1 P2 P3 | none
//   adopt H              -> ok
//   answer H | drop H MODE -> ok REQUESTID
//   info H               -> ok <record JSON>
//   status H             -> ok STATE PRIVILEGE
//   dealloc H            -> ok
//   quit                 -> ok (then exits 0 after lineShutdown)
// Failures answer "err LINEERR_...".

#include <tapi/tapi.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "cdr/record_json.hpp"

namespace {

std::string err(const std::error_code& ec) {
  return std::string("err ") + tapi::lineErrName(tapi::toLineErr(ec));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: multiapp_client unix:PATH|tcp://HOST:PORT\n";
    return 2;
  }
  const char* token = std::getenv("TAPI_TOKEN");
  auto rt = tapi::Runtime::connect(argv[1], token != nullptr ? token : "");
  if (!rt) {
    std::cout << err(rt.error()) << std::endl;
    return 1;
  }
  tapi::App app;
  std::map<std::uint32_t, tapi::Line> lines;
  std::map<std::uint32_t, tapi::Call> calls;
  std::string text;
  while (std::getline(std::cin, text)) {
    std::istringstream in(text);
    std::string verb;
    in >> verb;
    std::string reply;
    if (verb == "init") {
      std::string name;
      in >> name;
      auto a = tapi::App::initialize(*rt, {.name = name});
      reply = a ? "ok " + std::to_string(a->handle()) : err(a.error());
      if (a) {
        app = std::move(*a);
      }
    } else if (verb == "open") {
      std::uint32_t device = 0;
      std::string priv;
      in >> device >> priv;
      std::uint32_t bits = priv == "OWNER"     ? 0x4
                           : priv == "MONITOR" ? 0x2
                                               : 0x6;
      auto l = app.open(device, bits);
      reply = l ? "ok " + std::to_string(l->handle()) : err(l.error());
      if (l) {
        lines.emplace(l->handle(), std::move(*l));
      }
    } else if (verb == "make") {
      std::string dest;
      in >> dest;
      auto m = lines.begin()->second.makeCall(dest);
      reply = m ? "ok " + std::to_string(m->requestId) + " " + std::to_string(m->call.handle())
                : err(m.error());
      if (m) {
        calls.emplace(m->call.handle(), std::move(m->call));
      }
    } else if (verb == "next") {
      int ms = 0;
      in >> ms;
      auto m = app.waitMessage(std::chrono::milliseconds(ms));
      reply = m ? "msg " + std::string(tapi::toString(m->type)) + " " +
                      std::to_string(m->hDevice) + " " + std::to_string(m->param1) + " " +
                      std::to_string(m->param2) + " " + std::to_string(m->param3)
                : "none";
    } else if (verb == "quit") {
      calls.clear();
      lines.clear();
      auto r = app.shutdown();
      std::cout << (r ? std::string("ok") : err(r.error())) << std::endl;
      return 0;
    } else {
      std::uint32_t h = 0;
      in >> h;
      if (verb == "adopt") {
        calls.emplace(h, app.adopt(h));
        reply = "ok";
      } else if (!calls.contains(h)) {
        reply = "err LINEERR_INVALCALLHANDLE";
      } else if (verb == "answer") {
        auto r = calls[h].answer();
        reply = r ? "ok " + std::to_string(*r) : err(r.error());
      } else if (verb == "drop") {
        std::uint32_t mode = 0;
        in >> mode;
        auto r = calls[h].drop(mode, "bye");
        reply = r ? "ok " + std::to_string(*r) : err(r.error());
      } else if (verb == "info") {
        auto r = calls[h].info();
        reply = r ? "ok " + tapi::cdr::toJson(*r) : err(r.error());
      } else if (verb == "status") {
        auto r = calls[h].status();
        reply = r ? "ok " + std::string(tapi::toString(r->state)) + " " +
                        tapi::toString(r->privilege)
                  : err(r.error());
      } else if (verb == "dealloc") {
        auto r = calls[h].deallocate();
        reply = r ? std::string("ok") : err(r.error());
        calls.erase(h);
      } else {
        reply = "err unknown command";
      }
    }
    std::cout << reply << std::endl;
  }
  return 0;
}
