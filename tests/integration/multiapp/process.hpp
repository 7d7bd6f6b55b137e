#pragma once
// Child processes for the multi-app tests: tapid, client programs and tapictl, each with
// its stdin and stdout (plus stderr, for tapid) on pipes. Every read is bounded by poll(2);
// nothing here sleeps to synchronise.

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tapi::testing {

class Process {
 public:
  /** Starts `argv[0]` with `argv`; stderr joins stdout when `mergeStderr`. */
  Process(const std::vector<std::string>& argv, bool mergeStderr) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      std::abort();
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      if (mergeStderr) {
        dup2(out[1], 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
      }
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }

  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      (void)wait(std::chrono::seconds(10));
    }
    if (drain_.joinable()) {
      drain_.join();  // the pipe reached EOF when the child exited
    }
    if (stdin_ >= 0) {
      close(stdin_);
    }
    if (stdout_ >= 0) {
      close(stdout_);
    }
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  void write(const std::string& line) {
    const std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(stdin_, data.data() + done, data.size() - done);
      if (n <= 0) {
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  void closeStdin() {
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
  }

  /** The next line of output, waiting at most `bound`; nullopt on timeout or EOF. */
  std::optional<std::string> readLine(std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        std::lock_guard lock(mutex_);
        transcript_ += line + "\n";
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || eof_) {
        return std::nullopt;
      }
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        continue;
      }
      char buf[4096];
      const ssize_t n = read(stdout_, buf, sizeof buf);
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /** Reads lines until one contains `needle`. */
  std::optional<std::string> readUntil(const std::string& needle, std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = readLine(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!line) {
        return std::nullopt;
      }
      if (line->find(needle) != std::string::npos) {
        return line;
      }
    }
    return std::nullopt;
  }

  /** Keeps reading (and recording) output on a thread, so the child never blocks on a full pipe. */
  void drainInBackground() {
    drain_ = std::thread([this] {
      while (readLine(std::chrono::hours(1))) {
      }
    });
  }

  std::string transcript() {
    std::lock_guard lock(mutex_);
    return transcript_;
  }

  void signal(int sig) { kill(pid_, sig); }

  /** Waits for exit; the exit status (128+signal if killed), or nullopt after `bound`. */
  std::optional<int> wait(std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    // pidfd_open would avoid the loop; SIGCHLD-free polling with WNOHANG is bounded here.
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return std::nullopt;
      }
      // Wait for the pipe to close (the child exiting) rather than spinning.
      pollfd p{stdout_, 0, 0};
      (void)poll(&p, 1, 20);
    }
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  bool eof_ = false;
  bool exited_ = false;
  std::thread drain_;
  std::mutex mutex_;
  std::string transcript_;
};

}  // namespace tapi::testing
