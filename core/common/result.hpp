// Result<T>: a value or a typed ServiceError, the return type of every port call.
//
// Every call to a backend can fail. The error says which service failed, and how. Its `kind` tells
// the core whether to retry and how; `retry_at` carries a rate limit's reset time. Exceptions are
// kept for bugs: a port never throws for a service failure.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/runtime/time.hpp"

namespace scaleup {

enum class ErrorKind {
    transient,               // 5xx, connection reset, timeout: retry with backoff
    throttled,               // AWS throttling (RequestLimitExceeded, ThrottlingException)
    rate_limited,            // GitHub primary limit: retry at `retry_at` (x-ratelimit-reset)
    secondary_rate_limited,  // GitHub secondary limit: retry after `retry_at`, else 60 s
    unauthorized,            // 401
    forbidden,               // 403 that is not a rate limit (e.g. installation suspended)
    not_found,               // 404
    conflict,                // 409
    invalid,                 // 400/422: the request is wrong, retrying will not help
    capacity,                // EC2 capacity errors (InsufficientInstanceCapacity, ...)
    unknown_outcome,         // the request may or may not have taken effect (commit lost)
    permanent,               // any other error that retrying cannot fix
};

/// Every ErrorKind, in declaration order (EnumCounters counts by them).
inline constexpr std::array kAllErrorKinds{
    ErrorKind::transient,       ErrorKind::throttled,
    ErrorKind::rate_limited,    ErrorKind::secondary_rate_limited,
    ErrorKind::unauthorized,    ErrorKind::forbidden,
    ErrorKind::not_found,       ErrorKind::conflict,
    ErrorKind::invalid,         ErrorKind::capacity,
    ErrorKind::unknown_outcome, ErrorKind::permanent};

const char* to_string(ErrorKind kind);
/// Whether retrying the same request can succeed.
bool is_retryable(ErrorKind kind);

struct ServiceError {
    ErrorKind kind = ErrorKind::permanent;
    std::string service;  // "github", "sqs", "ec2", "ssm", "ledger"
    std::string code;     // the service's own code: "404", "InsufficientInstanceCapacity", "57P01"
    std::string message;  // the service's own words, for logs and dead-letter reasons
    std::optional<Instant> retry_at;

    bool retryable() const { return is_retryable(kind); }
    /// "github 404 (not_found): Not Found"
    std::string describe() const;
};

inline ServiceError make_error(ErrorKind kind, std::string service, std::string code,
                               std::string message, std::optional<Instant> retry_at = {}) {
    return ServiceError{kind, std::move(service), std::move(code), std::move(message), retry_at};
}

namespace detail {
// Out of line: g++ 12 sees a delete inlined into a coroutine frame as freeing part of the frame
// (-Wfree-nonheap-object, a false positive).
struct DeleteServiceError {
    void operator()(const ServiceError* error) const noexcept;
};
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}                   // NOLINT: implicit by design
    Result(ServiceError error) : v_(hold(std::move(error))) {}  // NOLINT
    Result(const Result& other) : v_(copy_of(other.v_)) {}
    Result(Result&&) noexcept(std::is_nothrow_move_constructible_v<T>) = default;
    Result& operator=(const Result& other) {
        if (this != &other)
            v_ = copy_of(other.v_);
        return *this;
    }
    Result& operator=(Result&&) noexcept(std::is_nothrow_move_assignable_v<T>) = default;
    ~Result() = default;

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const ServiceError& error() const { return *std::get<1>(v_); }

  private:
    // The error is kept on the heap. A Result sits in every coroutine frame that awaits a port
    // call, often twice (the promise's value and the awaited one), and an error held inline (120
    // bytes: three strings and a time) made each of them that much larger, whether or not the
    // call failed: most of a simulated seed's allocated bytes are coroutine frames. Errors are the
    // rare case; they pay one allocation. A copy copies the error, as before.
    using HeldError = std::unique_ptr<const ServiceError, detail::DeleteServiceError>;
    static HeldError hold(ServiceError error) {
        return HeldError(new ServiceError(std::move(error)));
    }
    static std::variant<T, HeldError> copy_of(const std::variant<T, HeldError>& v) {
        if (v.index() == 0)
            return std::get<0>(v);
        return hold(*std::get<1>(v));
    }
    std::variant<T, HeldError> v_;
};

struct Done {
    friend bool operator==(Done, Done) = default;
};
/// The result of an operation that returns nothing but can fail.
using Status = Result<Done>;
inline Status ok_status() {
    return Status{Done{}};
}

}  // namespace scaleup
