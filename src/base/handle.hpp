#pragma once
// Typed handles. Inside the process an object is named by Handle<T> = slot + generation;
// a freed slot bumps its generation, so a stale handle finds nothing instead of a new
// object. What an application sees is a different value (see AppHandleTable).

#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tapi::base {

template <typename T>
struct Handle {
  std::uint32_t slot = 0;
  std::uint32_t gen = 0;  // 0 means "no object": live generations start at 1

  bool valid() const noexcept { return gen != 0; }
  std::uint64_t packed() const noexcept { return (std::uint64_t{gen} << 32) | slot; }
  static Handle fromPacked(std::uint64_t v) noexcept {
    return Handle{static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(v >> 32)};
  }
  friend bool operator==(const Handle&, const Handle&) = default;
};

/**
 * Owns objects in slots; lookup by Handle<T> is O(1) and returns nullptr for a stale
 * handle. Not thread-safe: owned by one loop.
 */
template <typename T>
class SlotMap {
 public:
  using H = Handle<T>;

  template <typename... Args>
  std::pair<H, T*> emplace(Args&&... args) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& s = slots_[slot];
    s.obj = std::make_unique<T>(std::forward<Args>(args)...);
    ++size_;
    return {H{slot, s.gen}, s.obj.get()};
  }

  T* get(H h) const noexcept {
    if (h.slot >= slots_.size()) {
      return nullptr;
    }
    const Slot& s = slots_[h.slot];
    return (s.gen == h.gen && s.obj) ? s.obj.get() : nullptr;
  }

  /** Destroys the object; the handle (and every copy of it) becomes stale. */
  bool erase(H h) {
    if (get(h) == nullptr) {
      return false;
    }
    Slot& s = slots_[h.slot];
    auto doomed = std::move(s.obj);
    // Skip generation 0 on wrap: it means "no object".
    if (++s.gen == 0) {
      s.gen = 1;
    }
    free_.push_back(h.slot);
    --size_;
    doomed.reset();
    return true;
  }

  std::size_t size() const noexcept { return size_; }

  /** Calls f(handle, T&) for every live object. f must not insert or erase. */
  template <typename F>
  void forEach(F&& f) const {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].obj) {
        f(H{i, slots_[i].gen}, *slots_[i].obj);
      }
    }
  }

  /** Handles of every live object (a snapshot, safe to erase while walking it). */
  std::vector<H> handles() const {
    std::vector<H> out;
    out.reserve(size_);
    forEach([&](H h, const T&) { out.push_back(h); });
    return out;
  }

 private:
  struct Slot {
    std::unique_ptr<T> obj;
    std::uint32_t gen = 1;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t size_ = 0;
};

/**
 * One application's handle values (TAPI's HLINE/HCALL). Values come from a counter that
 * only goes up and skips 0, so a value repeats only after 2^32 allocations by this table;
 * a value from another table (another app) or a made-up one is simply not found.
 * Lookup, insert and erase are O(1).
 */
template <typename V>
class AppHandleTable {
 public:
  AppHandleTable() = default;
  /** For tests: start the counter elsewhere (e.g. near the wrap). */
  explicit AppHandleTable(std::uint32_t firstValue) : next_(firstValue == 0 ? 1 : firstValue) {}

  /** Allocates a new value for `v`. Never returns 0 or a value currently in use. */
  std::uint32_t insert(V v) {
    for (;;) {
      const std::uint32_t value = next_;
      if (++next_ == 0) {
        next_ = 1;
      }
      // After 2^32 allocations the counter can come back to a value still held; skip it.
      if (map_.try_emplace(value, std::move(v)).second) {
        return value;
      }
    }
  }

  const V* find(std::uint32_t value) const {
    auto it = map_.find(value);
    return it == map_.end() ? nullptr : &it->second;
  }
  V* find(std::uint32_t value) {
    auto it = map_.find(value);
    return it == map_.end() ? nullptr : &it->second;
  }

  bool erase(std::uint32_t value) { return map_.erase(value) != 0; }
  std::size_t size() const noexcept { return map_.size(); }
  bool empty() const noexcept { return map_.empty(); }

  template <typename F>
  void forEach(F&& f) const {
    for (const auto& [k, v] : map_) {
      f(k, v);
    }
  }
  std::vector<std::uint32_t> values() const {
    std::vector<std::uint32_t> out;
    out.reserve(map_.size());
    for (const auto& [k, v] : map_) {
      out.push_back(k);
    }
    return out;
  }

 private:
  std::uint32_t next_ = 1;
  std::unordered_map<std::uint32_t, V> map_;
};

}  // namespace tapi::base
