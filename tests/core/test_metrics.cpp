// MetricsRegistry: a counter is its name and its label set (in any order), unknown counters read
// 0, and the Prometheus text lists families by name and label sets in order, whatever order the
// counts came in.
#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/metrics/metrics.hpp"

using namespace scaleup;

TEST_CASE("metrics: a counter is its name and its label set, in any order", "[metrics]") {
    MetricsRegistry metrics;
    metrics.increment("calls_total", {{"call", "list"}, {"outcome", "ok"}});
    metrics.increment("calls_total", {{"outcome", "ok"}, {"call", "list"}}, 2);
    const std::string outcome = "error";  // a label value that is not a literal
    metrics.increment("calls_total", {{"call", "list"}, {"outcome", outcome}});
    metrics.increment("runs_total", {});

    CHECK(metrics.value("calls_total", {{"call", "list"}, {"outcome", "ok"}}) == 3);
    CHECK(metrics.value("calls_total", {{"outcome", "ok"}, {"call", "list"}}) == 3);
    CHECK(metrics.value("calls_total", {{"outcome", "error"}, {"call", "list"}}) == 1);
    CHECK(metrics.value("calls_total", {{"call", "list"}}) == 0);  // a subset is another set
    CHECK(metrics.value("calls_total", {}) == 0);
    CHECK(metrics.value("runs_total", {}) == 1);
    CHECK(metrics.value("nothing_total", {{"call", "list"}}) == 0);
    CHECK(metrics.total("calls_total") == 4);
    CHECK(metrics.total("nothing_total") == 0);
}

TEST_CASE("metrics: the Prometheus text is ordered by name, then by label set", "[metrics]") {
    MetricsRegistry metrics;
    metrics.increment("b_total", {{"result", "ok"}});
    metrics.increment("a_total", {{"outcome", "z"}, {"call", "y"}});
    metrics.increment("b_total", {{"result", "error"}}, 5);
    metrics.increment("a_total", {{"call", "x"}, {"outcome", "z"}});
    metrics.increment("c_total", {});
    CHECK(metrics.render_prometheus() ==
          "# TYPE a_total counter\n"
          "a_total{call=\"x\",outcome=\"z\"} 1\n"
          "a_total{call=\"y\",outcome=\"z\"} 1\n"
          "# TYPE b_total counter\n"
          "b_total{result=\"error\"} 5\n"
          "b_total{result=\"ok\"} 1\n"
          "# TYPE c_total counter\n"
          "c_total 1\n");
}

TEST_CASE("metrics: a label set longer than eight is refused, not truncated", "[metrics]") {
    MetricsRegistry metrics;
    CHECK_THROWS_AS(metrics.increment("x_total", {{"a", "1"},
                                                  {"b", "2"},
                                                  {"c", "3"},
                                                  {"d", "4"},
                                                  {"e", "5"},
                                                  {"f", "6"},
                                                  {"g", "7"},
                                                  {"h", "8"},
                                                  {"i", "9"}}),
                    std::invalid_argument);
    CHECK(metrics.render_prometheus().empty());
}

TEST_CASE("metrics: counters whose texts run together alike stay apart", "[metrics]") {
    // A counter seen before is found by a hash of its name and labels. These have the same bytes
    // end to end, and one name is another's prefix: a hash blind to where each text ends would
    // find one counter for them all.
    MetricsRegistry metrics;
    for (int round = 1; round <= 3; ++round) {
        metrics.increment("x_total", {{"ab", "c"}});
        metrics.increment("x_total", {{"a", "bc"}}, 10);
        metrics.increment("x_totalab", {{"", "c"}}, 100);
        metrics.increment("x_total", {{"ab", ""}}, 1000);
        metrics.increment("x_total", {});
    }
    CHECK(metrics.value("x_total", {{"ab", "c"}}) == 3);
    CHECK(metrics.value("x_total", {{"a", "bc"}}) == 30);
    CHECK(metrics.value("x_totalab", {{"", "c"}}) == 300);
    CHECK(metrics.value("x_total", {{"ab", ""}}) == 3000);
    CHECK(metrics.value("x_total", {}) == 3);
    CHECK(metrics.total("x_total") == 3036);
}

TEST_CASE("metrics: a copy counts on its own, a move keeps counting", "[metrics]") {
    MetricsRegistry original;
    original.increment("x_total", {{"result", "ok"}});  // seen once: found by hash from now on
    MetricsRegistry copy = original;
    copy.increment("x_total", {{"result", "ok"}}, 10);
    original.increment("x_total", {{"result", "ok"}});
    CHECK(original.value("x_total", {{"result", "ok"}}) == 2);
    CHECK(copy.value("x_total", {{"result", "ok"}}) == 11);

    copy = original;
    copy.increment("x_total", {{"result", "ok"}}, 100);
    CHECK(original.value("x_total", {{"result", "ok"}}) == 2);
    CHECK(copy.value("x_total", {{"result", "ok"}}) == 102);

    MetricsRegistry moved = std::move(copy);
    moved.increment("x_total", {{"result", "ok"}});
    CHECK(moved.value("x_total", {{"result", "ok"}}) == 103);
    MetricsRegistry assigned;
    assigned = std::move(moved);
    assigned.increment("x_total", {{"result", "ok"}});
    CHECK(assigned.value("x_total", {{"result", "ok"}}) == 104);
    CHECK(original.value("x_total", {{"result", "ok"}}) == 2);
}

TEST_CASE("metrics: a kept counter is the registry's counter, and appears only once counted",
          "[metrics]") {
    MetricsRegistry metrics;
    MetricCounter kept(metrics, "calls_total", {{"outcome", "ok"}, {"call", "list"}});
    CHECK(metrics.render_prometheus().empty());  // not counted yet: not rendered
    kept.increment();
    metrics.increment("calls_total", {{"call", "list"}, {"outcome", "ok"}}, 2);
    kept.increment(3);
    CHECK(metrics.value("calls_total", {{"call", "list"}, {"outcome", "ok"}}) == 6);
    CHECK(metrics.total("calls_total") == 6);
    CHECK_THROWS_AS(MetricCounter(metrics, "x", {{"a", "1"}, {"b", "2"}, {"c", "3"}}),
                    std::invalid_argument);
}

namespace {
enum class Colour { red, green, blue };
std::string_view to_string(Colour colour) {
    switch (colour) {
        case Colour::red:
            return "red";
        case Colour::green:
            return "green";
        case Colour::blue:
            return "blue";
    }
    return "?";
}
}  // namespace

TEST_CASE("metrics: counters by enumerator count under the enumerator's name", "[metrics]") {
    MetricsRegistry metrics;
    EnumCounters<Colour> colours(metrics, "seen_total", "colour",
                                 std::array{Colour::red, Colour::green, Colour::blue});
    colours.increment(Colour::blue);
    colours.increment(Colour::blue);
    colours.increment(Colour::red);
    CHECK(metrics.value("seen_total", {{"colour", "blue"}}) == 2);
    CHECK(metrics.value("seen_total", {{"colour", "red"}}) == 1);
    CHECK(
        metrics.render_prometheus() ==
        "# TYPE seen_total counter\nseen_total{colour=\"blue\"} 2\nseen_total{colour=\"red\"} 1\n");
    // A list that skips or reorders enumerators would count under the wrong names: refused.
    CHECK_THROWS_AS(EnumCounters<Colour>(metrics, "seen_total", "colour",
                                         std::array{Colour::green, Colour::red}),
                    std::invalid_argument);
}

TEST_CASE("metrics: an enumerator missing from the kept counters is still counted", "[metrics]") {
    // An enumerator added to the enumeration but not to the list given: the slow way, not a throw.
    MetricsRegistry metrics;
    EnumCounters<Colour> colours(metrics, "seen_total", "colour",
                                 std::array{Colour::red, Colour::green});
    colours.increment(Colour::blue);
    colours.increment(Colour::red);
    CHECK(metrics.value("seen_total", {{"colour", "blue"}}) == 1);
    CHECK(metrics.value("seen_total", {{"colour", "red"}}) == 1);
}
