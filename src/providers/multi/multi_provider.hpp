#pragma once
// Several providers behind one spi::Provider, so one engine can serve simulated and SIP
// lines together. Line devices are routed by device id (each provider's ids must not
// overlap); calls by a provider index kept in the top byte of the call id.

#include <memory>
#include <vector>

#include "spi/provider.hpp"

namespace tapi::providers::multi {

class MultiProvider final : public spi::Provider {
 public:
  /** @param providers not owned; they must outlive this object. Device ids must be disjoint. */
  explicit MultiProvider(std::vector<spi::Provider*> providers);
  ~MultiProvider() override;

  void setEvents(spi::Events* events) override;
  std::vector<spi::LineInfo> lines() const override;
  Result<void> openLine(std::uint32_t deviceId) override;
  void closeLine(std::uint32_t deviceId) override;
  Result<spi::ProviderCallId> makeCall(spi::RequestId id, std::uint32_t deviceId,
                                       spi::EngineCallId htCall,
                                       const spi::MakeCallParams& params) override;
  Result<void> answer(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override;
  Result<void> accept(spi::RequestId id, spi::ProviderCallId call, std::string_view uui) override;
  Result<void> drop(spi::RequestId id, spi::ProviderCallId call, std::uint32_t mode,
                    std::string_view uui) override;
  void closeCall(spi::ProviderCallId call) override;
  spi::ProviderStats stats() const override;
  std::vector<spi::ProviderLeak> leaks() const override;

 private:
  class Relay;
  spi::Provider* forDevice(std::uint32_t deviceId) const;
  /** The provider and its own call id, or null when the id names no provider. */
  std::pair<spi::Provider*, spi::ProviderCallId> split(spi::ProviderCallId call) const;

  std::vector<spi::Provider*> providers_;
  std::vector<std::unique_ptr<Relay>> relays_;
};

}  // namespace tapi::providers::multi
