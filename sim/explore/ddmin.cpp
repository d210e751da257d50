#include "sim/explore/ddmin.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace scaleup::sim {

namespace {
/// `items` cut into `n` contiguous chunks of near-equal size (the first ones one larger).
std::vector<Subset> split(const Subset& items, std::size_t n) {
    std::vector<Subset> chunks;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t size = items.size() / n + (i < items.size() % n ? 1 : 0);
        chunks.emplace_back(items.begin() + static_cast<std::ptrdiff_t>(begin),
                            items.begin() + static_cast<std::ptrdiff_t>(begin + size));
        begin += size;
    }
    return chunks;
}

Subset without(const Subset& items, const Subset& chunk) {
    Subset out;
    std::set_difference(items.begin(), items.end(), chunk.begin(), chunk.end(),
                        std::back_inserter(out));
    return out;
}
}  // namespace

Subset ddmin(Subset items, std::size_t min_size, const std::function<bool(const Subset&)>& fails) {
    if (min_size == 0 && !items.empty() && fails({}))
        return {};
    std::size_t n = 2;
    while (items.size() >= 2 && items.size() > min_size) {
        const auto chunks = split(items, n);
        bool reduced = false;
        for (const auto& chunk : chunks) {  // reduce to one chunk
            if (chunk.size() >= min_size && fails(chunk)) {
                items = chunk;
                n = 2;
                reduced = true;
                break;
            }
        }
        for (std::size_t i = 0; !reduced && n > 2 && i < chunks.size(); ++i) {
            const auto rest = without(items, chunks[i]);  // reduce to a complement
            if (rest.size() >= min_size && fails(rest)) {
                items = rest;
                n = std::max<std::size_t>(n - 1, 2);
                reduced = true;
            }
        }
        if (reduced)
            continue;
        if (n >= items.size())
            break;
        n = std::min(n * 2, items.size());
    }
    return items;
}

}  // namespace scaleup::sim
