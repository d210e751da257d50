// SimulatedSsm: SSM Parameter Store as the control plane writes it and a booting instance reads it.
//
// Fault model (what it can do wrong, and the knob):
// - Throughput: one token bucket shared by PutParameter and GetParameter, `throughput` (default 40
//   TPS, burst 40). Over it: ErrorKind::throttled "ThrottlingException: Rate exceeded"; the call
//   did nothing. 40+ JIT writes in one burst throttle, as upstream #5105/#5136 saw.
// - Standard tier: a value over `max_value_bytes` (4096) is rejected with ErrorKind::invalid
//   "ValidationException"; nothing is stored. (Upstream switches to Advanced at 4,000 bytes; the
//   core has no tier choice, so a big JIT config is a permanent error here.)
// - Eventual visibility: a successful put becomes readable only after a delay drawn from
//   `visibility_delay`; until then readers get the previous value or ParameterNotFound (nullopt).
// - `error_rate`: an extra InternalServerError (ErrorKind::transient) on any call; the call did
//   nothing. `outages`: every call fails that way inside the windows.
// - `latency`: every call takes a drawn latency; the call acts when it arrives (after the latency).
// The core must tolerate all of these: retry throttling and 5xx with backoff, never retry
// ValidationException, and never assume a stored config is readable at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/common/lookup_table.hpp"
#include "core/ports/config_store.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/runner_service.hpp"
#include "sim/backends/sim_common.hpp"
#include "sim/backends/token_bucket.hpp"

namespace scaleup::sim {

class SimulatedSsm final : public ConfigStorePort, public ConfigReader {
  public:
    struct Options {
        std::size_t max_value_bytes = 4096;  // standard tier
        TokenBucketOptions throughput{40, 40};
        LatencyRange latency{milliseconds(10), milliseconds(60)};
        LatencyRange visibility_delay{milliseconds(0), milliseconds(500)};
        Ratio error_rate = Ratio::never();
        std::vector<FaultWindow> outages;
    };

    /// One PutParameter that reached the service, accepted or not.
    struct PutRecord {
        std::string instance_id;
        Instant at{};
        std::size_t bytes = 0;
        bool stored = false;
        std::string error_code;  // empty when stored
    };

    struct Counters {
        int puts_stored = 0;
        int reads = 0;
        int reads_found = 0;
        int throttled = 0;
        int validation_errors = 0;
        int internal_errors = 0;
    };

    SimulatedSsm(Runtime& rt, Options options);

    // ConfigStorePort (the control plane's side).
    Task<Status> put_runner_config(std::string instance_id, std::string config) override;
    // ConfigReader (the instance's side).
    Task<Result<std::optional<std::string>>> read_runner_config(Identifier instance_id) override;

    // ---- observability ----------------------------------------------------------------------
    const std::vector<PutRecord>& puts() const { return puts_; }
    std::vector<PutRecord> puts_for(const std::string& instance_id) const;
    const Counters& counters() const { return counters_; }
    /// The value a reader would see right now, without a call (no latency, no throttling).
    std::optional<std::string> visible_value(const Identifier& instance_id) const;
    const Options& options() const { return options_; }
    /// The drain's heal: random errors stop.
    void heal_rate_faults() { options_.error_rate = Ratio::never(); }

  private:
    struct Version {
        std::string value;
        Instant visible_at{};
    };

    /// The error every call can meet on arrival (outage, throttling, extra error), if any.
    std::optional<ServiceError> admission_error(const char* operation,
                                                std::string_view instance_id);

    Runtime& rt_;
    Options options_;
    Random random_;
    TokenBucket bucket_;
    // Instance id -> versions, in put order. Hashed: ids share a 12-character prefix, so a tree
    // compared it again at every level of two lookups a job.
    LookupTable<Identifier, std::vector<Version>> parameters_;
    std::vector<PutRecord> puts_;
    Counters counters_;
};

}  // namespace scaleup::sim
