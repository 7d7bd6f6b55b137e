#pragma once
// One WebSocket from the client to tapid (docs/api.md), as RemoteBackend uses it: one per
// application plus one control connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <tapi/tapi.hpp>

#include "client/server_address.hpp"

namespace tapi::detail {

/**
 * One WebSocket to tapid. The stream, the write queue and the read buffer are touched
 * only on the I/O thread; the pending-request table, the open lines and the event queue
 * are shared with callers' threads under mutex_. The connection is Connecting, then Open,
 * then ended for good in one of two ways:
 *  - Closed: this side ended it (close(), abort(), or after lineShutdown). Every waiting
 *    and later request fails with LINEERR_UNINITIALIZED.
 *  - Lost: the server or the network ended it (tapid died or dropped this app). The app's
 *    lines are gone, and TAPI's way to say so is queued: LINE_CLOSE for every line still
 *    open, then LINE_LINEDEVSTATE(REINIT). Every waiting and later request fails with
 *    LINEERR_REINIT, which RemoteBackend turns into the code each function documents.
 * Queued events can still be read after either.
 */
class RemoteConnection : public std::enable_shared_from_this<RemoteConnection> {
 public:
  using UnixWs = boost::beast::websocket::stream<boost::asio::local::stream_protocol::socket>;
  using TcpWs = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  /**
   * @param io the backend's io_context, run by its one I/O thread.
   * @param ioThread that thread's id (set once it runs), to refuse waiting on it.
   * @param notify runs on the I/O thread when the event queue becomes non-empty and when
   *        the connection ends; may be empty.
   */
  RemoteConnection(boost::asio::io_context& io, const std::atomic<std::thread::id>& ioThread,
                   std::function<void()> notify);

  /** Connects and upgrades; waits at most `bound`. Not on the I/O thread. */
  Result<void> open(const ServerAddress& address, const std::string& token,
                    std::chrono::milliseconds bound);

  /** Sends one request and waits at most `bound` for its response. Not on the I/O thread. */
  Result<boost::json::value> request(std::string_view method, const boost::json::object& params,
                                     std::chrono::milliseconds bound);

  /** The next queued event; LINEERR_UNINITIALIZED once ended and drained. */
  Result<std::optional<Message>> popMessage();

  bool isOpen() const;

  /** True once the server or the network ended the connection (not this side). */
  bool isLost() const;

  /**
   * Remembers a line lineOpen returned, so that losing the connection reports it closed.
   * @return false if the connection was lost meanwhile (the line is gone already).
   */
  bool lineOpened(std::uint32_t hLine);

  /** Forgets a line the app closed. */
  void lineClosed(std::uint32_t hLine);

  /**
   * Says that this side is about to end the connection (lineShutdown, close, abort), so
   * that the server closing it first does not count as losing it. Any thread.
   */
  void expectEnd() { endExpected_ = true; }

  /** Closes with a WebSocket close handshake (the peer may already be closing). Any thread. */
  void close();

  /** Closes the socket at once. Any thread. */
  void abort();

 private:
  enum class State : std::uint8_t {
    Connecting,  // connecting and upgrading
    Open,        // requests and events flow
    Closed,      // ended by this side, or never opened
    Lost,        // ended by the server or the network while open
  };
  using PendingPtr = std::shared_ptr<std::promise<Result<boost::json::value>>>;

  /** True once ended either way. */
  bool closed() const;

  // I/O thread only, from here to end().
  void startConnect(const ServerAddress& address, const std::string& token);
  void startHandshake(const std::string& host);
  void settleConnect(Result<void> r);
  void startRead();
  void onFrame(std::string_view text);
  void enqueueWrite(std::string frame);
  void writeNext();
  /**
   * The end of the connection: fail every waiter, close the socket, wake the app. An open
   * connection this side did not mean to end is Lost: the app is told as TAPI tells it
   * (see the class comment).
   */
  void end();

  boost::asio::io_context& io_;
  const std::atomic<std::thread::id>& ioThread_;
  boost::asio::ip::tcp::resolver resolver_;
  std::function<void()> notify_;
  // I/O thread only.
  std::variant<std::unique_ptr<UnixWs>, std::unique_ptr<TcpWs>> ws_;
  boost::beast::flat_buffer readBuffer_;
  std::deque<std::string> writeQueue_;  // front is being written; references stay valid
  bool writing_ = false;
  bool closing_ = false;
  std::shared_ptr<std::promise<Result<void>>> connectPromise_;
  // Shared with callers' threads.
  mutable std::mutex mutex_;
  State state_ = State::Connecting;
  std::uint64_t nextId_ = 0;
  std::unordered_map<std::uint64_t, PendingPtr> pending_;
  std::set<std::uint32_t> openLines_;  // hLines lineOpen returned and nobody closed yet
  std::deque<Message> events_;
  // Any thread.
  std::atomic<bool> endExpected_{false};
};

}  // namespace tapi::detail
