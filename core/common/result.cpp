#include "core/common/result.hpp"

#include <fmt/format.h>

namespace scaleup {

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::transient:
            return "transient";
        case ErrorKind::throttled:
            return "throttled";
        case ErrorKind::rate_limited:
            return "rate_limited";
        case ErrorKind::secondary_rate_limited:
            return "secondary_rate_limited";
        case ErrorKind::unauthorized:
            return "unauthorized";
        case ErrorKind::forbidden:
            return "forbidden";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::conflict:
            return "conflict";
        case ErrorKind::invalid:
            return "invalid";
        case ErrorKind::capacity:
            return "capacity";
        case ErrorKind::unknown_outcome:
            return "unknown_outcome";
        case ErrorKind::permanent:
            return "permanent";
    }
    return "permanent";
}

bool is_retryable(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::transient:
        case ErrorKind::throttled:
        case ErrorKind::rate_limited:
        case ErrorKind::secondary_rate_limited:
        case ErrorKind::capacity:
        case ErrorKind::unknown_outcome:
            return true;
        default:
            return false;
    }
}

void detail::DeleteServiceError::operator()(const ServiceError* error) const noexcept {
    delete error;
}

std::string ServiceError::describe() const {
    return fmt::format("{} {} ({}): {}", service, code, to_string(kind), message);
}

}  // namespace scaleup
