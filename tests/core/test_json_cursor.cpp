// JsonCursor against nlohmann's parser, the oracle: the same texts accepted, the same strings and
// integers read, and the readers built on the cursor (JobMessage::parse, read_workflow_job) give
// the verdicts and words the document-based readers they replaced gave, over real payloads and
// thousands of mutations of them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/json_cursor.hpp"
#include "core/common/json_reader.hpp"
#include "core/consumer/job_message.hpp"
#include "core/intake/webhook_intake.hpp"
#include "tests/core/intake_harness.hpp"

namespace {

using namespace scaleup;
using Kind = JsonCursor::Kind;
constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();

bool nlohmann_accepts(const std::string& text) {
    return nlohmann::json::accept(text);
}

bool cursor_accepts(const std::string& text) {
    try {
        JsonCursor::check_syntax(text);
        return true;
    } catch (const InputError&) {
        return false;
    }
}

// Variants of `text`: truncations, and single-byte replacements, insertions and deletions with
// bytes that matter to JSON (and some that are not ASCII). Deterministic: a fixed seed.
std::vector<std::string> mutations(const std::string& text, int count, std::uint64_t seed) {
    static const std::string kBytes =
        "{}[]\",:.-+0123456789eEtfnlu\\/ \x01\x7f\x80\xc3\xa9\xed\xf4";
    std::mt19937_64 random(seed);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        std::string variant = text;
        const std::size_t at = random() % variant.size();
        const char byte = kBytes[random() % kBytes.size()];
        switch (random() % 4) {
            case 0:
                variant[at] = byte;
                break;
            case 1:
                variant.insert(variant.begin() + static_cast<std::ptrdiff_t>(at), byte);
                break;
            case 2:
                variant.erase(at, 1);
                break;
            default:
                variant.resize(at);
        }
        out.push_back(std::move(variant));
    }
    return out;
}

// The document-based JobMessage::parse the cursor replaced: the oracle for its verdicts.
JobMessage parse_with_document(const std::string& body) {
    const auto json = parse_json(body);
    const JsonReader in(json, "");
    JobMessage m;
    m.job_id = in.integer("job_id", 1, kMaxId);
    m.run_id = in.integer_or("run_id", 0, 0, kMaxId);
    m.owner = in.string("owner");
    m.repo = in.string("repo");
    if (m.owner.empty())
        throw InputError("/owner", "must not be empty");
    if (m.repo.empty())
        throw InputError("/repo", "must not be empty");
    m.owner_type = in.string_or("owner_type", "Organization");
    if (m.owner_type != "Organization" && m.owner_type != "User")
        throw InputError("/owner_type", "expected \"Organization\" or \"User\"");
    m.labels = in.strings("labels");
    if (m.labels.empty())
        throw InputError("/labels", "a job has at least one label");
    m.installation_id = in.integer_or("installation_id", 0, 0, kMaxId);
    m.delivery_guid = in.string_or("delivery_guid", "");
    m.attempt = static_cast<int>(in.integer_or("attempt", 0, 0, 1000));
    in.reject_unknown_keys();
    return m;
}

template <class Parse>
std::string outcome_of(Parse parse, const std::string& body, JobMessage& out) {
    try {
        out = parse(body);
        return "ok";
    } catch (const InputError& e) {
        const std::string what = e.what();
        // Syntax errors are worded by each parser; only their kind is compared.
        return what.rfind("at /: not valid JSON", 0) == 0 ? "syntax" : what;
    } catch (const nlohmann::json::out_of_range&) {
        // The document-based reader let nlohmann's "number overflow" (1e400) escape as another
        // exception; the cursor reports it as bad syntax.
        return "syntax";
    }
}

void check_same_message(const JobMessage& a, const JobMessage& b) {
    CHECK(a.job_id == b.job_id);
    CHECK(a.run_id == b.run_id);
    CHECK(a.owner == b.owner);
    CHECK(a.repo == b.repo);
    CHECK(a.owner_type == b.owner_type);
    CHECK(a.labels == b.labels);
    CHECK(a.installation_id == b.installation_id);
    CHECK(a.delivery_guid == b.delivery_guid);
    CHECK(a.attempt == b.attempt);
}

/// Skips `value` as the member "skip" of an object, and checks the member after it is read whole.
void check_skip_reaches_next_member(const std::string& value) {
    const std::string text = "{\"skip\":" + value + ",\"n\":7}";
    JsonCursor in(text);
    in.enter_object("");
    std::string_view key;
    REQUIRE(in.next_member(key));
    in.skip();
    REQUIRE(in.next_member(key));
    CHECK(key == "n");
    CHECK(in.integer("/n", 0, 10) == 7);
    CHECK_FALSE(in.next_member(key));
    in.expect_end();
}

}  // namespace

TEST_CASE("JsonCursor accepts exactly what nlohmann accepts", "[json-cursor]") {
    const std::vector<std::string> texts{
        "{}",
        "[]",
        "  {\"a\" : [1, -0, 0.5, 1e3, -2E-2, true, false, null, \"x\"]}  ",
        "\"\"",
        "0",
        "-",
        "01",
        "1.",
        ".5",
        "1e",
        "+1",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\"}",
        "{\"a\":}",
        "{1:2}",
        "[1 2]",
        "tru",
        "nul",
        "falsey",
        "[] []",
        "\"\\u12\"",
        "\"\\x\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83dx\"",
        "\"a\tb\"",
        "\"\xc3\xa9\"",
        "\"\xc3\"",
        "\"\xe0\x80\x80\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xf0\x9f\x98\x80\"",
        "\"\xc0\xaf\"",
        "1e400",
        "-1.5E+309",
        "1e-400",
        "0.0000e999",
        "123456789e300",
        "0.00001e310",
        "0e99999",
        "[[[[[]]]]]",
        "[[[[[]]]]",
        "{\"a\":{\"b\":[{}]}}",
        "",
        " ",
        "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\""};
    for (const auto& text : texts) {
        INFO(text);
        CHECK(cursor_accepts(text) == nlohmann_accepts(text));
    }
}

TEST_CASE("JsonCursor accepts what nlohmann accepts over mutated real payloads", "[json-cursor]") {
    const auto examples = testing::github_examples();
    if (!examples) {
        WARN("skipped: " << testing::shared_testdata("github/workflow_job-examples.json")
                         << " not found");
        return;
    }
    int rejected = 0;
    for (std::size_t i = 0; i < examples->size(); ++i) {
        const std::string text = (*examples)[i].dump(i % 2 == 0 ? -1 : 2);
        CHECK(cursor_accepts(text));
        for (const auto& variant : mutations(text, 400, i)) {
            INFO(variant);
            const bool accepted = nlohmann_accepts(variant);
            REQUIRE(cursor_accepts(variant) == accepted);
            rejected += accepted ? 0 : 1;
        }
    }
    CHECK(rejected > 1000);  // the mutations do break most texts
}

TEST_CASE("JsonCursor reads strings and integers as nlohmann does", "[json-cursor]") {
    for (const std::string text :
         {"\"plain\"", "\"caf\xc3\xa9\"", "\"\\u00e9\\ud83d\\ude00 \\\"q\\\" \\\\ \\/\\n\\t\"",
          "\"\\u0000x\""}) {
        JsonCursor in(text);
        CHECK(in.string("/s") == nlohmann::json::parse(text).get<std::string>());
        in.expect_end();
    }
    const auto integer = [](const std::string& text, std::int64_t min, std::int64_t max) {
        JsonCursor in(text);
        return in.integer("/n", min, max);
    };
    CHECK(integer("9223372036854775807", 0, kMaxId) == kMaxId);
    CHECK(integer("-9223372036854775808", std::numeric_limits<std::int64_t>::min(), 0) ==
          std::numeric_limits<std::int64_t>::min());
    CHECK(integer("-0", 0, 5) == 0);
    CHECK_THROWS_WITH(integer("9223372036854775808", 0, kMaxId),
                      "at /n: expected an integer from 0 to 9223372036854775807, found "
                      "9223372036854775808");
    CHECK_THROWS_WITH(integer("18446744073709551616", 0, kMaxId),
                      "at /n: expected an integer, found number");
    // Twenty digits: the largest that fits 64 bits is out of range, one more is not an integer.
    CHECK_THROWS_WITH(integer("18446744073709551615", 0, kMaxId),
                      "at /n: expected an integer from 0 to 9223372036854775807, found "
                      "18446744073709551615");
    CHECK_THROWS_WITH(integer("99999999999999999999", 0, kMaxId),
                      "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("-18446744073709551615", std::numeric_limits<std::int64_t>::min(), 0),
                      "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("1.0", 0, 5), "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("1e2", 0, 500), "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("\"1\"", 0, 5), "at /n: expected an integer, found string");
    CHECK_THROWS_WITH(integer("-1", 0, 5), "at /n: expected an integer from 0 to 5, found -1");
    // Around the short-integer fast path (up to eighteen digits, no sign, no leading zero): each
    // side of its edges gives the careful reader's answer.
    CHECK(integer("999999999999999999", 0, kMaxId) == 999'999'999'999'999'999);
    CHECK(integer("1000000000000000000", 0, kMaxId) == 1'000'000'000'000'000'000);
    CHECK(integer("0", 0, 5) == 0);
    CHECK(integer("7 ", 0, 9) == 7);
    CHECK_THROWS_WITH(integer("12", 0, 11), "at /n: expected an integer from 0 to 11, found 12");
    CHECK_THROWS_WITH(integer("3", 4, 9), "at /n: expected an integer from 4 to 9, found 3");
    CHECK_THROWS_WITH(integer("12.5", 0, 20), "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("123456789012345678.5", 0, kMaxId),
                      "at /n: expected an integer, found number");
    CHECK_THROWS_WITH(integer("12E1", 0, 500), "at /n: expected an integer, found number");
    JsonCursor leading_zero("01");
    CHECK(leading_zero.integer("/n", 0, 5) == 0);
    CHECK_THROWS_WITH(leading_zero.expect_end(),
                      "at /: not valid JSON (byte 2): unexpected text after the JSON value");
}

TEST_CASE("JsonCursor reads a string's special bytes wherever they fall in its eight-byte words",
          "[json-cursor]") {
    // Plain bytes are skipped a word at a time; a special byte at any offset of a word, and just
    // past the last whole word, must end the skip at that byte.
    const std::vector<std::string> specials{"\\\"", "\\n",  "\\u00e9", "\x01", "\x1f", "\xc3\xa9",
                                            "\xff", "\x7f", " ",       "~",    "\"",   "\\"};
    for (std::size_t length = 0; length <= 19; ++length) {
        for (std::size_t at = 0; at <= length; ++at) {
            for (const auto& special : specials) {
                const std::string text =
                    "\"" + std::string(at, 'a') + special + std::string(length - at, 'b') + "\"";
                INFO(nlohmann::json(text).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace)
                     << " (length " << length << ", at " << at << ")");
                const bool accepted = nlohmann_accepts(text);
                REQUIRE(cursor_accepts(text) == accepted);
                if (accepted) {
                    JsonCursor in(text);
                    CHECK(in.string("/s") == nlohmann::json::parse(text).get<std::string>());
                }
            }
        }
    }
}

TEST_CASE("JsonCursor walks members and elements, and skips what it is not asked for",
          "[json-cursor]") {
    JsonCursor in(R"({"skip":{"a":[1,{"b":null}],"c":"\u0041"},"list":["x","y"],"n":7})");
    in.enter_object("");
    std::string_view key;
    REQUIRE(in.next_member(key));
    CHECK(key == "skip");
    in.skip();
    REQUIRE(in.next_member(key));
    CHECK(key == "list");
    CHECK(in.strings("/list") == std::vector<std::string>{"x", "y"});
    REQUIRE(in.next_member(key));
    CHECK(key == "n");
    CHECK(in.peek() == Kind::number);
    CHECK(in.integer("/n", 0, 10) == 7);
    CHECK_FALSE(in.next_member(key));
    in.expect_end();
    CHECK(JsonCursor::pointer_to("/a", "b/c~d") == "/a/b~1c~0d");
}

TEST_CASE("JsonCursor skips plain values in one pass, and leaves the rest to the careful reader",
          "[json-cursor]") {
    // What a skip is given and what it leaves: the member after the skipped value, whichever
    // way the value was walked (plain, or with an escape, UTF-8 or a fraction inside).
    for (const std::string skipped :
         {R"({"a":[1,-0,true,false,null,{},[],{"b":[{"c":"d"}]}],"e":""})",
          R"({"a":[1,{"b":"x\"y"}],"e":"\u00e9"})", "[1.5,2e3,-0.25]", "\"\xc3\xa9\"", " 7 ",
          "  {  \"k\"  :  [  ]  }  "}) {
        INFO(skipped);
        check_skip_reaches_next_member(skipped);
    }
    // An error the plain walk meets is reported where the careful reader finds it, in its words.
    const auto skip_error = [](const std::string& text) {
        JsonCursor in(text);
        in.enter_object("");
        std::string_view key;
        REQUIRE(in.next_member(key));
        try {
            in.skip();
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(skip_error(R"({"a":{"b":[1,2}]}})"),
               Catch::Contains("(byte 15): expected ',' or ']' after an array element"));
    CHECK_THAT(skip_error(R"({"a":{"s":"x\"y","t":tru}})"),
               Catch::Contains("(byte 22): invalid literal"));
    CHECK_THAT(skip_error(R"({"a":[01]})"), Catch::Contains("(byte 8): expected ',' or ']'"));
    CHECK_THAT(skip_error(R"({"a":{"k" 1}})"), Catch::Contains("(byte 11): expected ':'"));
}

TEST_CASE("JsonCursor keeps objects and arrays apart at any depth", "[json-cursor]") {
    // 150 levels, alternating, past the 64 the cursor keeps inline: each level must close with its
    // own bracket, and a member after the deep value must still be read as a member.
    for (const std::size_t depth :
         {std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{150}}) {
        std::string deep;
        for (std::size_t level = 0; level < depth; ++level)
            deep += level % 2 == 0 ? "{\"k\":" : "[";
        deep += "1";
        for (std::size_t level = depth; level-- > 0;)
            deep += level % 2 == 0 ? "}" : "]";
        check_skip_reaches_next_member(deep);
        // The wrong bracket at the deepest level is a syntax error, not a silent mix-up.
        std::string wrong = "{\"deep\":" + deep + ",\"n\":7}";
        const auto one = wrong.find('1');
        wrong[one + 1] = wrong[one + 1] == '}' ? ']' : '}';
        JsonCursor bad(wrong);
        bad.enter_object("");
        std::string_view key;
        REQUIRE(bad.next_member(key));
        CHECK_THROWS_AS(bad.skip(), InputError);
    }
}

TEST_CASE("append_json_string writes what nlohmann's dump writes", "[json-cursor]") {
    for (const std::string text :
         {"", "plain", "q\"uote\\", "ctl\x01\x1f\b\f\n\r\t", "caf\xc3\xa9"}) {
        std::string out;
        append_json_string(out, text);
        CHECK(out == nlohmann::json(text).dump());
    }
}

TEST_CASE("JobMessage::parse gives the verdicts of the document-based reader", "[json-cursor]") {
    JobMessage full;
    full.job_id = 76773615870;
    full.run_id = 12;
    full.owner = "octo-org";
    full.repo = "hello";
    full.owner_type = "User";
    full.labels = {"self-hosted", "Linux"};
    full.installation_id = 9;
    full.delivery_guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    full.attempt = 2;
    const std::string body = full.to_json();
    CHECK(body == R"({"attempt":2,"delivery_guid":"72d3162e-cc78-11e3-81ab-4c9367dc0958",)"
                  R"("installation_id":9,"job_id":76773615870,"labels":["self-hosted","Linux"],)"
                  R"("owner":"octo-org","owner_type":"User","repo":"hello","run_id":12})");
    std::vector<std::string> bodies = mutations(body, 3000, 7);
    bodies.push_back(body);
    bodies.push_back(R"({"job_id":1,"owner":"a","repo":"b","labels":["x"],"job_id":null})");
    bodies.push_back(R"({"job_id":1,"owner":"a","repo":"b","labels":["x"],"extra":null})");
    bodies.push_back(R"({"job_id":1,"owner":"a","repo":"b","labels":["x"],"a/b":1})");
    bodies.push_back(R"({"job_id":"1","owner":"a","repo":"b","labels":["x", 2]} x)");
    int same_error = 0;
    for (const auto& text : bodies) {
        INFO(text);
        JobMessage expected;
        JobMessage actual;
        const std::string oracle = outcome_of(parse_with_document, text, expected);
        const std::string outcome = outcome_of(JobMessage::parse, text, actual);
        if (oracle == "ok" || outcome == "ok" || oracle == "syntax" || outcome == "syntax") {
            REQUIRE(outcome == oracle);
            if (oracle == "ok")
                check_same_message(actual, expected);
        } else {
            CHECK(outcome == oracle);  // the same field named, in the same words
            ++same_error;
        }
    }
    CHECK(same_error > 100);
}

TEST_CASE("read_workflow_job reads mutated real payloads as a parsed document does",
          "[json-cursor]") {
    const auto examples = testing::github_examples();
    if (!examples) {
        WARN("skipped: " << testing::shared_testdata("github/workflow_job-examples.json")
                         << " not found");
        return;
    }
    const auto pool = normalise_labels({"self-hosted", "k8s", "ubuntu-latest"});
    int accepted = 0;
    for (const std::size_t i : {std::size_t{5}, std::size_t{6}}) {  // the two queued examples
        const std::string text = (*examples)[i].dump();
        for (const auto& variant : mutations(text, 1500, 100 + i)) {
            INFO(variant);
            const PayloadVerdict verdict = read_workflow_job(variant, pool);
            const bool valid = nlohmann_accepts(variant);
            if (!verdict.outcome) {
                // Accepted: the text is JSON and the fields are the document's.
                REQUIRE(valid);
                const auto json = nlohmann::json::parse(variant);
                CHECK(verdict.job.job_id == json["workflow_job"]["id"].get<std::int64_t>());
                CHECK(verdict.job.labels ==
                      json["workflow_job"]["labels"].get<std::vector<std::string>>());
                CHECK(verdict.job.owner == json["repository"]["owner"]["login"]);
                CHECK(verdict.job.installation_id == json["installation"]["id"]);
                ++accepted;
            } else if (!valid && *verdict.outcome == IntakeOutcome::malformed_payload) {
                CHECK(verdict.detail.rfind("at /: not valid JSON", 0) == 0);
            } else if (!valid) {
                // Only the action scan decides before the break: a mutated action.
                CHECK(*verdict.outcome == IntakeOutcome::not_queued_action);
            }
        }
    }
    CHECK(accepted > 1000);
}
