#pragma once
// The inside of a SipMessage: its header index and the Impl that holds the parsed start
// line, the routing headers and the lists typed on first access. Shared by the files that
// parse (parser, start_line, header_index), read (message), change (message_edit) and
// write (serializer) a message; nothing outside src/sip/message includes it.

#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/message/detail/chars.hpp"
#include "sip/message/message.hpp"

namespace tapi::sip::message {

namespace detail {

/** Header fields indexed inside the message's single allocation; typical messages have 10-20. */
inline constexpr std::size_t kInlineHeaders = 32;

/** One header field of the index. raw is the whole line(s) with terminator; empty once rewritten.
 */
struct HeaderEntry {
  std::string_view name;
  std::string_view value;
  std::string_view raw;
  HeaderId id = HeaderId::Other;
};

/**
 * The header index. Parsing fills a fixed array carved out of the message's single
 * allocation; the first change moves it to a vector (changes allocate anyway).
 */
class HeaderTable {
 public:
  /** Append; spills into the vector once the inline storage is full. */
  void push(const HeaderEntry& e) {
    if (!onHeap_ && size_ < cap_) {
      data_[size_++] = e;
      return;
    }
    mutableVector().push_back(e);
    syncFromVector();
  }

  void init(HeaderEntry* storage, std::size_t capacity) noexcept {
    data_ = storage;
    cap_ = capacity;
    size_ = 0;
  }
  std::size_t size() const noexcept { return size_; }
  HeaderEntry& operator[](std::size_t i) noexcept { return data_[i]; }
  const HeaderEntry& operator[](std::size_t i) const noexcept { return data_[i]; }
  const HeaderEntry* begin() const noexcept { return data_; }
  const HeaderEntry* end() const noexcept { return data_ + size_; }

  std::vector<HeaderEntry>& mutableVector() {
    if (!onHeap_) {
      heap_.assign(data_, data_ + size_);
      onHeap_ = true;
    }
    return heap_;
  }
  void syncFromVector() noexcept {
    data_ = heap_.data();
    size_ = heap_.size();
    cap_ = heap_.size();
  }

 private:
  HeaderEntry* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
  bool onHeap_ = false;
  std::vector<HeaderEntry> heap_;
};

/** True if @p h is the header @p id names, or, for Other, a header of that @p name. */
inline bool nameMatches(const HeaderEntry& h, HeaderId id, std::string_view name) noexcept {
  if (id != HeaderId::Other)
    return h.id == id;
  return h.id == HeaderId::Other && iequals(h.name, name);
}

/** A failed Result carrying @p e. */
inline Unexpected err(ParseError e) {
  return fail(make_error_code(e));
}

}  // namespace detail

struct SipMessage::Impl {
  // Storage: the bytes (copied once) live right after this struct in the same block.
  std::string_view bytes;         // everything received
  std::size_t start = 0;          // after leading CRLF keep-alives
  std::size_t end = 0;            // end of the message (body per Content-Length)
  std::string_view startLineRaw;  // with its terminator
  std::string_view bodySource;    // everything after the blank line, or the owned body
  detail::HeaderTable headers;
  std::forward_list<std::string> owned;  // text of changed headers/start line/body
  bool modified = false;
  bool startLineDirty = false;

  // Start line.
  bool request = false;
  Method method = Method::Extension;
  std::string_view methodName;
  Uri requestUri;
  int status = 0;
  std::string_view reason;

  // Routing headers, parsed by index().
  Via topVia;
  NameAddr from;
  NameAddr to;
  std::string_view callId;
  CSeq cseq;
  std::optional<std::uint32_t> maxForwards;
  std::optional<std::size_t> contentLength;
  std::string_view body;
  bool contactWildcard = false;

  // Lists typed on first access.
  std::optional<std::vector<Via>> vias;
  std::optional<std::vector<NameAddr>> contacts;
  std::optional<std::vector<NameAddr>> routes;
  std::optional<std::vector<NameAddr>> recordRoutes;

  std::string_view own(std::string s) {
    owned.push_front(std::move(s));
    return owned.front();
  }

  /** Parse the start line text (without terminator). Defined in start_line.cpp. */
  Result<void> parseStartLine(std::string_view line);
  /**
   * Validate the routing headers and fill the typed slots; also computes body/end.
   * Defined in header_index.cpp.
   */
  Result<void> index(const ParseLimits& limits);
  void clearCaches() {
    vias.reset();
    contacts.reset();
    routes.reset();
    recordRoutes.reset();
  }
};

}  // namespace tapi::sip::message
