// TokenBucket: how AWS throttles API calls (EC2 request buckets, SSM's throughput limit).
//
// A bucket holds up to `capacity` tokens and starts full; each request takes one; tokens come back
// continuously at `refill_per_second` (one every 1/refill seconds), never above the capacity. An
// empty bucket rejects the request (RequestLimitExceeded, ThrottlingException) and a rejected
// request takes no token. Token counts are kept in nano-tokens so refill needs no floating point.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/runtime/time.hpp"

namespace scaleup::sim {

struct TokenBucketOptions {
    std::int64_t capacity = 5;           // 0: no throttling at all
    std::int64_t refill_per_second = 2;  // tokens added per second of simulated time
};

class TokenBucket {
  public:
    explicit TokenBucket(TokenBucketOptions options)
        : options_(options), nano_tokens_(options.capacity * kNanoPerToken) {}

    /// Takes one token at `now`; false (nothing taken) when the bucket is empty.
    bool try_take(Instant now) {
        if (options_.capacity <= 0)
            return true;
        refill(now);
        if (nano_tokens_ < kNanoPerToken)
            return false;
        nano_tokens_ -= kNanoPerToken;
        return true;
    }

    /// Whole tokens left at `now` (for tests and traces).
    std::int64_t tokens(Instant now) {
        if (options_.capacity <= 0)
            return 0;
        refill(now);
        return nano_tokens_ / kNanoPerToken;
    }

    const TokenBucketOptions& options() const { return options_; }

  private:
    static constexpr std::int64_t kNanoPerToken = 1'000'000'000;

    void refill(Instant now) {
        const std::int64_t full = options_.capacity * kNanoPerToken;
        if (started_ && now > last_refill_ && options_.refill_per_second > 0) {
            // Cap the elapsed time before multiplying: a long idle gap cannot overflow.
            const std::int64_t to_full = (full - nano_tokens_) / options_.refill_per_second + 1;
            const std::int64_t elapsed = std::min((now - last_refill_).count(), to_full);
            nano_tokens_ = std::min(full, nano_tokens_ + elapsed * options_.refill_per_second);
        }
        started_ = true;
        last_refill_ = std::max(last_refill_, now);
    }

    TokenBucketOptions options_;
    std::int64_t nano_tokens_;
    Instant last_refill_{};
    bool started_ = false;
};

}  // namespace scaleup::sim
