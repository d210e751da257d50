// Result<T>: a value or a typed ServiceError, the return type of every port call.
//
// Every call to a backend can fail. The error says which service failed, and how. Its `kind` tells
// the core whether to retry and how; `retry_at` carries a rate limit's reset time. Exceptions are
// kept for bugs: a port never throws for a service failure.
#pragma once

#include <optional>
#include <string>
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

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
    Result(ServiceError error) : v_(std::move(error)) {}  // NOLINT

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const ServiceError& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, ServiceError> v_;
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
