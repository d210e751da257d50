// A webhook delivery as it reaches intake: the raw body bytes and the headers, and the answer
// GitHub records in its delivery log. Kept free of any HTTP library so the simulated GitHub and the
// real HTTP server hand intake the same thing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scaleup {

/// A request's headers, names lower-cased ("x-github-delivery", ...), kept sorted by name. Names
/// and values live in one buffer, indexed by offsets: a delivery carries about eight headers, and
/// a string per name and value (most are longer than a string keeps inline) was ten of the
/// allocations each simulated delivery made; now there are two. Offsets rather than views, so a
/// copy needs no fixing up. Looked up by a view, so a literal name builds no string.
class WebhookHeaders {
  public:
    struct Header {
        std::string_view name;
        std::string_view value;
        bool operator==(const Header&) const = default;
    };

    WebhookHeaders() = default;
    /// A repeated name keeps its first value, as a std::map built from the same list would.
    WebhookHeaders(std::initializer_list<Header> headers) {
        for (const Header& header : headers) {
            if (!get(header.name))
                set(header.name, header.value);
        }
    }

    std::size_t size() const noexcept { return entries_.size(); }
    /// The i-th header in name order. Precondition: i < size().
    Header entry(std::size_t i) const { return {text(entries_[i].name), text(entries_[i].value)}; }
    /// Room for `headers` headers of `bytes` bytes of names and values in all.
    void reserve(std::size_t headers, std::size_t bytes) {
        entries_.reserve(headers);
        text_.reserve(bytes);
    }

    /// The header's value, a view into these headers, or nullopt when it is absent.
    std::optional<std::string_view> get(std::string_view name) const {
        const auto at = lower_bound(name);
        if (at == entries_.end() || text(at->name) != name)
            return std::nullopt;
        return text(at->value);
    }
    /// Throws std::out_of_range when the header is absent.
    std::string_view at(std::string_view name) const {
        const auto value = get(name);
        if (!value)
            throw std::out_of_range("no header " + std::string(name));
        return *value;
    }
    /// Sets the header, replacing any value it had.
    void set(std::string_view name, std::string_view value) {
        if (views_text(name) || views_text(value)) {  // the append below may move the buffer
            set(std::string(name), std::string(value));
            return;
        }
        auto at = lower_bound(name);
        if (at == entries_.end() || text(at->name) != name)
            at = entries_.insert(at, Entry{append(name), {}});
        at->value = append(value);  // a replaced value's bytes stay unused until the headers go
    }
    /// How many headers were removed: 0 or 1.
    std::size_t erase(std::string_view name) {
        const auto at = lower_bound(name);
        if (at == entries_.end() || text(at->name) != name)
            return 0;
        entries_.erase(at);
        return 1;
    }

    bool operator==(const WebhookHeaders& other) const {
        if (size() != other.size())
            return false;
        for (std::size_t i = 0; i < size(); ++i) {
            if (entry(i) != other.entry(i))
                return false;
        }
        return true;
    }

  private:
    struct Span {
        std::uint32_t at = 0;
        std::uint32_t size = 0;
    };
    struct Entry {
        Span name;
        Span value;
    };

    bool views_text(std::string_view bytes) const {
        return !bytes.empty() && std::less_equal<>{}(text_.data(), bytes.data()) &&
               std::less<>{}(bytes.data(), text_.data() + text_.size());
    }
    std::string_view text(Span span) const { return {text_.data() + span.at, span.size}; }
    Span append(std::string_view bytes) {
        if (text_.size() + bytes.size() > std::numeric_limits<std::uint32_t>::max())
            throw std::length_error("webhook headers over 4 GiB");
        const Span span{static_cast<std::uint32_t>(text_.size()),
                        static_cast<std::uint32_t>(bytes.size())};
        text_.append(bytes);
        return span;
    }
    // The first entry whose name is not before `name`.
    template <typename Self>
    static auto lower_bound_in(Self& self, std::string_view name) {
        return std::lower_bound(
            self.entries_.begin(), self.entries_.end(), name,
            [&self](const Entry& e, std::string_view n) { return self.text(e.name) < n; });
    }
    std::vector<Entry>::iterator lower_bound(std::string_view name) {
        return lower_bound_in(*this, name);
    }
    std::vector<Entry>::const_iterator lower_bound(std::string_view name) const {
        return lower_bound_in(*this, name);
    }

    std::string text_;            // every name and value, back to back
    std::vector<Entry> entries_;  // sorted by name, names unique
};

struct WebhookDelivery {
    WebhookHeaders headers;
    std::string body;  // raw bytes, exactly as received
};

struct WebhookResponse {
    int status = 200;
    std::string outcome;  // the intake outcome reason ("enqueued", "not_queued_action", ...)
};

}  // namespace scaleup
