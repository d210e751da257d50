#include "core/common/json_scan.hpp"

#include <nlohmann/json.hpp>

namespace scaleup {

namespace {

// Tracks the depth; captures the string value of `key` when it is a member of the root object,
// and stops there.
class TopLevelStringScanner : public nlohmann::json_sax<nlohmann::json> {
  public:
    explicit TopLevelStringScanner(std::string_view key) : key_(key) {}

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool string(string_t& text) override {
        if (expecting_) {
            found_ = text;
            return false;  // found: stop reading
        }
        return value();
    }
    bool start_object(std::size_t) override {
        if (depth_ == 0)
            root_is_object_ = true;
        expecting_ = false;
        ++depth_;
        return true;
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        expecting_ = false;
        ++depth_;
        return true;
    }
    bool end_array() override {
        --depth_;
        return true;
    }
    bool key(string_t& name) override {
        expecting_ = depth_ == 1 && name == key_;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

    std::optional<std::string> result() const { return root_is_object_ ? found_ : std::nullopt; }

  private:
    bool value() {
        expecting_ = false;
        return true;
    }

    std::string_view key_;
    int depth_ = 0;
    bool expecting_ = false;
    bool root_is_object_ = false;
    std::optional<std::string> found_;
};

}  // namespace

std::optional<std::string> first_top_level_string(std::string_view document, std::string_view key) {
    TopLevelStringScanner scanner(key);
    // The scan ends early (false) once the member is found, or at the first syntax error.
    (void)nlohmann::json::sax_parse(document.begin(), document.end(), &scanner,
                                    nlohmann::json::input_format_t::json, true);
    return scanner.result();
}

}  // namespace scaleup
