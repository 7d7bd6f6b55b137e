#pragma once
// The seam between the API protocol (JSON <-> engine) and the network: what a protocol
// session needs from the connection it serves. The WebSocket sessions implement it; the
// protocol tests implement it with a fake that records frames.

#include <cstddef>
#include <string>

namespace tapi::server {

/** Why the server ends a connection. */
enum class CloseReason : std::uint8_t {
  Normal,          // the app called lineShutdown
  TooLarge,        // a request frame exceeded the size limit
  SlowReader,      // events waiting to be written exceeded the bound
  ServerShutdown,  // tapid is stopping
};
const char* toString(CloseReason r) noexcept;

/** Whether a frame answers a request (it counts as "in flight" until written) or not. */
enum class FrameKind : std::uint8_t { Response, Event };

/**
 * One client connection as the protocol sees it. Loop thread only. The protocol session
 * never outlives its connection: the connection owns the session and destroys it after
 * the connection has closed.
 */
class ProtoConnection {
 public:
  virtual ~ProtoConnection() = default;

  /**
   * Queues one text frame for writing, after every frame queued before it.
   * Frames sent after close() are discarded.
   */
  virtual void sendText(std::string frame, FrameKind kind) = 0;

  /** Closes the connection once the frames already queued are written (or dropped). */
  virtual void close(CloseReason reason) = 0;

  /** Bytes of frames queued and not yet written to the socket. */
  virtual std::size_t pendingBytes() const = 0;

  /** Responses queued and not yet written: the requests still "in flight". */
  virtual std::size_t pendingResponses() const = 0;
};

}  // namespace tapi::server
