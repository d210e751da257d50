// A webhook delivery as it reaches intake: the raw body bytes and the headers, and the answer
// GitHub records in its delivery log. Kept free of any HTTP library so the simulated GitHub and the
// real HTTP server hand intake the same thing.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scaleup {

/// A request's headers, names lower-cased ("x-github-delivery", ...), kept sorted by name in one
/// vector. A delivery carries about eight: a tree's node per header was one in five of the
/// allocations a simulated delivery made. Looked up by a view, so a literal name builds no string.
class WebhookHeaders {
  public:
    using Entry = std::pair<std::string, std::string>;
    using const_iterator = std::vector<Entry>::const_iterator;

    WebhookHeaders() = default;
    /// A repeated name keeps its first value, as a std::map built from the same list would.
    WebhookHeaders(std::initializer_list<Entry> entries) {
        entries_.reserve(entries.size());
        for (const Entry& entry : entries) {
            const auto at = lower_bound(entry.first);
            if (at == entries_.end() || at->first != entry.first)
                entries_.insert(at, entry);
        }
    }

    const_iterator begin() const noexcept { return entries_.begin(); }
    const_iterator end() const noexcept { return entries_.end(); }
    std::size_t size() const noexcept { return entries_.size(); }
    void reserve(std::size_t headers) { entries_.reserve(headers); }

    const_iterator find(std::string_view name) const {
        const auto at = lower_bound(name);
        return at != entries_.end() && at->first == name ? at : entries_.end();
    }
    /// Throws std::out_of_range when the header is absent.
    const std::string& at(std::string_view name) const {
        const auto found = find(name);
        if (found == end())
            throw std::out_of_range("no header " + std::string(name));
        return found->second;
    }
    /// The header's value, added empty if absent.
    std::string& operator[](std::string_view name) {
        auto at = lower_bound(name);
        if (at == entries_.end() || at->first != name)
            at = entries_.insert(at, Entry{std::string(name), std::string()});
        return at->second;
    }
    /// How many headers were removed: 0 or 1.
    std::size_t erase(std::string_view name) {
        const auto found = find(name);
        if (found == end())
            return 0;
        entries_.erase(found);
        return 1;
    }

    bool operator==(const WebhookHeaders&) const = default;

  private:
    // The first entry whose name is not before `name`; const or not, as `entries` is.
    template <typename Entries>
    static auto lower_bound_in(Entries& entries, std::string_view name) {
        return std::lower_bound(
            entries.begin(), entries.end(), name,
            [](const Entry& e, std::string_view n) { return std::string_view(e.first) < n; });
    }
    std::vector<Entry>::iterator lower_bound(std::string_view name) {
        return lower_bound_in(entries_, name);
    }
    const_iterator lower_bound(std::string_view name) const {
        return lower_bound_in(entries_, name);
    }

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
