// Identifier: the text of an id a service hands out (an EC2 instance id, a webhook delivery's GUID,
// a runner's name), kept inline when it is short, as nearly all are.
//
// libstdc++'s std::string keeps 15 characters inline; an instance id has 19 and a GUID 36, so each
// copy of one was an allocation. The listings a sweep reads (the ledger's instances, a page of
// webhook deliveries, an owner's runners, EC2's instances) copy hundreds of them every sweep:
// 24,000 allocations of a simulated hour's 285,000. Up to kInline bytes live in the object; a
// longer text (nothing GitHub or AWS hands out today) goes to the heap, so any text is kept whole.
// A moved-from Identifier is empty.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace scaleup {

class Identifier {
  public:
    static constexpr std::size_t kInline = 40;

    Identifier() noexcept = default;
    Identifier(std::string_view text) { assign(text); }  // NOLINT: an id is its text
    Identifier(const char* text) : Identifier(std::string_view(text)) {}
    Identifier(const std::string& text) : Identifier(std::string_view(text)) {}
    Identifier(const Identifier& other) { assign(other.view()); }
    Identifier(Identifier&& other) noexcept { take(other); }
    Identifier& operator=(const Identifier& other) {
        if (this != &other) {
            release();
            assign(other.view());
        }
        return *this;
    }
    Identifier& operator=(Identifier&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ~Identifier() { release(); }

    std::string_view view() const noexcept { return {data(), size_}; }
    operator std::string_view() const noexcept { return view(); }  // NOLINT: read as text
    std::string str() const { return std::string(view()); }
    const char* data() const noexcept { return on_heap() ? heap_ : inline_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    friend bool operator==(const Identifier& a, const Identifier& b) noexcept {
        return a.view() == b.view();
    }
    friend std::strong_ordering operator<=>(const Identifier& a, const Identifier& b) noexcept {
        return a.view() <=> b.view();
    }
    // Against any text (a literal, a std::string, a view), without a conversion to choose.
    template <typename Text>
    requires std::is_convertible_v<const Text&, std::string_view>
    friend bool operator==(const Identifier& a, const Text& b) noexcept {
        return a.view() == std::string_view(b);
    }
    template <typename Text>
    requires std::is_convertible_v<const Text&, std::string_view>
    friend std::strong_ordering operator<=>(const Identifier& a, const Text& b) noexcept {
        return a.view() <=> std::string_view(b);
    }

  private:
    bool on_heap() const noexcept { return size_ > kInline; }
    void assign(std::string_view text) {
        if (text.size() > kInline) {
            heap_ = new char[text.size()];
            std::memcpy(heap_, text.data(), text.size());
        } else if (!text.empty()) {
            std::memcpy(inline_, text.data(), text.size());
        }
        size_ = text.size();
    }
    void take(Identifier& other) noexcept {
        if (other.on_heap())
            heap_ = other.heap_;
        else
            std::memcpy(inline_, other.inline_, other.size_);
        size_ = other.size_;
        other.size_ = 0;  // the heap text, if any, is ours now
    }
    void release() noexcept {
        if (on_heap())
            delete[] heap_;
        size_ = 0;
    }

    std::size_t size_ = 0;
    union {
        char inline_[kInline];
        char* heap_;
    };
};

}  // namespace scaleup

template <>
struct std::hash<scaleup::Identifier> {
    std::size_t operator()(const scaleup::Identifier& id) const noexcept {
        return std::hash<std::string_view>{}(id.view());
    }
};

template <>
struct fmt::formatter<scaleup::Identifier> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const scaleup::Identifier& id, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(id.view(), ctx);
    }
};
