// Parse cost of typical SIP messages: ns/message (Google Benchmark's time) and heap
// allocations/message (counted by the replaced global operator new below).

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "sip/message/message.hpp"

namespace {
std::atomic<std::uint64_t> gAllocations{0};
}  // namespace

// Every allocation in this binary passes through here, so a difference of the counter
// around the measured loop is exactly the allocations the parser made. gcc cannot see
// that new and delete below are a malloc/free pair and warns; they are.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

namespace msg = tapi::sip::message;

const std::string kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    "s=Session SDP\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
    "Supported: timer, 100rel, replaces\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "User-Agent: OpenTAPI-bench/1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " + std::to_string(kSdp.size()) + "\r\n"
    "\r\n" + kSdp;

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.1\r\n"
    "Record-Route: <sip:server10.biloxi.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
    "Supported: timer, 100rel\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " + std::to_string(kSdp.size()) + "\r\n"
    "\r\n" + kSdp;

/** Parse @p text repeatedly (the text stands for the transport's receive buffer). */
void parseLoop(benchmark::State& state, const std::string& text, bool readAll) {
  const std::uint64_t before = gAllocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    auto r = msg::parse(text);
    if (!r.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(r->topVia().branch.data());
    benchmark::DoNotOptimize(r->cseq().number);
    if (readAll) {
      benchmark::DoNotOptimize(r->vias().size());
      benchmark::DoNotOptimize(r->contacts().size());
      benchmark::DoNotOptimize(r->recordRoutes().size());
      benchmark::DoNotOptimize(r->header("Supported"));
    }
  }
  const std::uint64_t allocs = gAllocations.load(std::memory_order_relaxed) - before;
  state.counters["allocs/msg"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  state.counters["bytes/msg"] = static_cast<double>(text.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_ParseInvite(benchmark::State& state) { parseLoop(state, kInvite, false); }
void BM_ParseOk200(benchmark::State& state) { parseLoop(state, kOk, false); }
// Also builds the typed Via/Contact/Record-Route lists (each list is one vector).
void BM_ParseInviteTypedLists(benchmark::State& state) { parseLoop(state, kInvite, true); }
void BM_ParseOk200TypedLists(benchmark::State& state) { parseLoop(state, kOk, true); }

// What a proxy-ish path does with a request: stamp received/rport, add its Via, send.
void BM_StampViaAndSerialize(benchmark::State& state) {
  const std::uint64_t before = gAllocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    auto r = msg::parse(kInvite);
    (void)r->setTopViaParam("received", "198.51.100.7");
    (void)r->setTopViaParam("rport", "5062");
    (void)r->prependHeader("Via", "SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKbench");
    std::string wire = r->serialize();
    benchmark::DoNotOptimize(wire.data());
  }
  const std::uint64_t allocs = gAllocations.load(std::memory_order_relaxed) - before;
  state.counters["allocs/msg"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_ParseOk200);
BENCHMARK(BM_ParseInviteTypedLists);
BENCHMARK(BM_ParseOk200TypedLists);
BENCHMARK(BM_StampViaAndSerialize);

}  // namespace

BENCHMARK_MAIN();
