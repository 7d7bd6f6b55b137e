#include "sip/transport/stream_framer.hpp"

#include <cctype>

namespace tapi::sip::transport {

namespace {

bool isWs(char c) { return c == ' ' || c == '\t'; }

bool nameIs(std::string_view name, std::string_view want) {
  if (name.size() != want.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != want[i]) {
      return false;
    }
  }
  return true;
}

// A Content-Length this large is certainly hostile; reject before overflow can happen.
constexpr std::size_t kMaxDigits = 9;

}  // namespace

std::optional<std::size_t> findContentLength(std::string_view headers, DropReason* why) {
  std::optional<std::size_t> found;
  std::size_t pos = headers.find("\r\n");  // skip the start line
  while (pos != std::string_view::npos && pos < headers.size()) {
    const std::size_t lineStart = pos + 2;
    if (lineStart >= headers.size()) {
      break;
    }
    // A header line ends at a CRLF not followed by whitespace (folding, RFC 3261 §7.3.1).
    std::size_t lineEnd = lineStart;
    for (;;) {
      lineEnd = headers.find("\r\n", lineEnd);
      if (lineEnd == std::string_view::npos) {
        lineEnd = headers.size();
        break;
      }
      if (lineEnd + 2 < headers.size() && isWs(headers[lineEnd + 2])) {
        lineEnd += 2;
        continue;
      }
      break;
    }
    const std::string_view line = headers.substr(lineStart, lineEnd - lineStart);
    pos = lineEnd;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;  // not our business here: the parser will judge the header
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && isWs(name.back())) {
      name.remove_suffix(1);
    }
    if (!nameIs(name, "content-length") && !nameIs(name, "l")) {
      continue;
    }
    std::size_t value = 0;
    std::size_t digits = 0;
    bool trailing = false;
    for (char c : line.substr(colon + 1)) {
      if (c >= '0' && c <= '9' && !trailing) {
        if (++digits > kMaxDigits) {
          *why = DropReason::BadContentLength;
          return std::nullopt;
        }
        value = value * 10 + static_cast<std::size_t>(c - '0');
      } else if (isWs(c) || c == '\r' || c == '\n') {
        trailing = digits > 0;
      } else {
        *why = DropReason::BadContentLength;
        return std::nullopt;
      }
    }
    if (digits == 0 || (found && *found != value)) {
      *why = DropReason::BadContentLength;
      return std::nullopt;
    }
    found = value;
  }
  if (!found) {
    *why = DropReason::MissingContentLength;
  }
  return found;
}

bool StreamFramer::feed(std::string_view bytes) {
  if (error_) {
    return false;
  }
  if (buffered() + bytes.size() > limits_.maxBuffered) {
    error_ = DropReason::BufferOverflow;
    return false;
  }
  compact();
  buf_.append(bytes);
  return true;
}

void StreamFramer::compact() {
  // Moving the tail down only when the consumed prefix dominates keeps appends amortised O(1).
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
}

std::optional<std::string> StreamFramer::next() {
  if (error_) {
    return std::nullopt;
  }
  while (buf_.size() - start_ >= 2 && buf_[start_] == '\r' && buf_[start_ + 1] == '\n') {
    start_ += 2;
    ++keepAlives_;
  }
  const std::string_view view = std::string_view(buf_).substr(start_);
  const std::size_t end = view.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (view.size() > limits_.maxHeaderBytes) {
      error_ = DropReason::HeaderTooLarge;
    }
    compact();
    return std::nullopt;
  }
  if (end + 4 > limits_.maxHeaderBytes) {
    error_ = DropReason::HeaderTooLarge;
    return std::nullopt;
  }
  DropReason why = DropReason::MissingContentLength;
  const auto length = findContentLength(view.substr(0, end), &why);
  if (!length) {
    error_ = why;
    return std::nullopt;
  }
  if (*length > limits_.maxBodyBytes) {
    error_ = DropReason::BodyTooLarge;
    return std::nullopt;
  }
  const std::size_t total = end + 4 + *length;
  if (view.size() < total) {
    compact();
    return std::nullopt;
  }
  std::string message(view.substr(0, total));
  start_ += total;
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  return message;
}

}  // namespace tapi::sip::transport
