// The small shared pieces of the simulated backends.
#include <catch2/catch.hpp>

#include "sim/backends/dense_records.hpp"
#include "sim/backends/sim_common.hpp"

using namespace scaleup;
using namespace scaleup::sim;

TEST_CASE("fault windows are half-open intervals of simulated time", "[sim-common]") {
    const Instant t0 = instant_from_unix_seconds(1000);
    const FaultWindow w{t0, t0 + seconds(10)};
    CHECK_FALSE(w.contains(t0 - nanoseconds(1)));
    CHECK(w.contains(t0));
    CHECK(w.contains(t0 + seconds(10) - nanoseconds(1)));
    CHECK_FALSE(w.contains(t0 + seconds(10)));
    CHECK(any_active({w, FaultWindow{t0 + minutes(1), t0 + minutes(2)}}, t0 + seconds(90)));
    CHECK_FALSE(any_active({}, t0));
}

TEST_CASE("latency draws stay within their range", "[sim-common]") {
    Random random(3);
    const LatencyRange range{milliseconds(10), milliseconds(20)};
    for (int i = 0; i < 1000; ++i) {
        const auto d = range.draw(random);
        REQUIRE(d >= milliseconds(10));
        REQUIRE(d <= milliseconds(20));
    }
}

TEST_CASE("dense records are found by id, in id order, and stay where they are", "[sim-common]") {
    struct Record {
        std::int64_t id = 0;
    };
    DenseRecords<Record> records(1001);
    CHECK(records.empty());
    CHECK(records.find(1001) == nullptr);
    CHECK_THROWS_AS(records.at(1001), std::out_of_range);

    Record& first = records.add();
    first.id = 1001;
    CHECK(records.next_id() == 1002);
    for (std::int64_t id = 1002; id < 1200; ++id)  // enough to grow the deque many times
        records.add().id = id;

    CHECK(&records.at(1001) == &first);  // added records never move a record
    CHECK(records.find(1150)->id == 1150);
    CHECK(records.find(1000) == nullptr);
    CHECK(records.find(1200) == nullptr);
    CHECK_THROWS_AS(records.at(1200), std::out_of_range);
    std::int64_t expected = 1001;
    for (const Record& record : records)
        CHECK(record.id == expected++);
    CHECK(expected == 1200);
    CHECK(records.size() == 199);
}
