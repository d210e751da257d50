// Result<T>: a value or a ServiceError. The error is held on the heap (core/common/result.hpp);
// copies and moves keep the value semantics it had when it was held inline.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

using namespace scaleup;

namespace test_result {

ServiceError throttled() {
    return make_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded",
                      "Request limit exceeded.", instant_from_unix_seconds(1767225600));
}

}  // namespace test_result

TEST_CASE("Result holds a value or an error, and says which", "[result]") {
    const Result<int> value = 7;
    CHECK(value.ok());
    CHECK(value.value() == 7);
    const Result<int> error = test_result::throttled();
    CHECK_FALSE(error.ok());
    CHECK(error.error().kind == ErrorKind::throttled);
    CHECK(error.error().code == "RequestLimitExceeded");
    CHECK(error.error().retry_at == instant_from_unix_seconds(1767225600));
    CHECK(ok_status().ok());
}

TEST_CASE("a copied Result keeps its own error", "[result]") {
    std::optional<Result<std::string>> original{test_result::throttled()};
    const Result<std::string> copy = *original;
    Result<std::string> assigned = std::string("before");
    assigned = *original;
    original.reset();  // the copies must not share the original's error
    REQUIRE_FALSE(copy.ok());
    CHECK(copy.error().message == "Request limit exceeded.");
    REQUIRE_FALSE(assigned.ok());
    CHECK(assigned.error().service == "ec2");

    Result<std::string> value = std::string("kept");
    value = copy;
    REQUIRE_FALSE(value.ok());
    CHECK(value.error().describe() == copy.error().describe());
    value = Result<std::string>(std::string("back"));
    REQUIRE(value.ok());
    CHECK(value.value() == "back");
}

TEST_CASE("a moved Result carries its error or its value", "[result]") {
    Result<std::vector<int>> error = test_result::throttled();
    const Result<std::vector<int>> moved = std::move(error);
    REQUIRE_FALSE(moved.ok());
    CHECK(moved.error().code == "RequestLimitExceeded");

    Result<std::vector<int>> value = std::vector<int>{1, 2, 3};
    std::vector<int> taken = std::move(value).value();
    CHECK(taken == std::vector<int>{1, 2, 3});
}
