#pragma once
// Splits a SIP byte stream (TCP, later TLS) into whole messages by Content-Length
// (RFC 3261 §18.3). It only scans for the end of the headers and the Content-Length
// value; full parsing happens later on each framed message.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/transport/transport.hpp"

namespace tapi::sip::transport {

/** Limits that keep one connection's memory bounded whatever the peer sends. */
struct FramerLimits {
  std::size_t maxHeaderBytes = 16 * 1024;  ///< start line + headers + blank line
  std::size_t maxBodyBytes = 64 * 1024;    ///< Content-Length above this closes the stream
  std::size_t maxBuffered = 128 * 1024;    ///< unframed bytes held at once
};

/**
 * Accumulates stream bytes and hands out whole messages. After an error the stream is
 * unusable (the caller closes the connection): SIP has no way to resynchronise a stream.
 */
class StreamFramer {
 public:
  explicit StreamFramer(FramerLimits limits = {}) : limits_(limits) {}

  /**
   * Appends received bytes.
   * @return false (and error() set to BufferOverflow) if this would hold more than
   * maxBuffered unframed bytes; the bytes are not kept.
   */
  bool feed(std::string_view bytes);

  /**
   * The next whole message, if one is complete. Leading CRLFs (RFC 5626 keep-alives) are
   * skipped. Returns nullopt when more bytes are needed or after an error (see error()).
   */
  std::optional<std::string> next();

  /** The reason the stream is broken, if it is. */
  std::optional<DropReason> error() const { return error_; }

  /** Unframed bytes currently held. */
  std::size_t buffered() const { return buf_.size() - start_; }

  /** Keep-alive CRLF pairs skipped so far (the caller may answer a double CRLF ping). */
  std::size_t keepAlives() const { return keepAlives_; }

 private:
  void compact();

  FramerLimits limits_;
  std::string buf_;
  std::size_t start_ = 0;  // first unconsumed byte of buf_
  std::size_t keepAlives_ = 0;
  std::optional<DropReason> error_;
};

/**
 * Finds the Content-Length of a header block (compact form "l" too, any case, folded
 * whitespace allowed).
 * @param headers everything before the blank line.
 * @return the value, or nullopt with *why set (MissingContentLength or BadContentLength;
 * two different values count as bad).
 */
std::optional<std::size_t> findContentLength(std::string_view headers, DropReason* why);

}  // namespace tapi::sip::transport
