// SmallBlockCache: `operator new` and `operator delete` for scaleup's programs, on top of mimalloc.
//
// A simulation allocates and frees a few hundred thousand small blocks a seed (strings, vectors,
// coroutine frames), most of them freed within a few events. mimalloc hands a freed block out
// again only once the rest of its page is used, by when it has left the cache: reading the free
// block's link was half of `operator new`'s time in a profile of a seed. Here each thread keeps
// its freed blocks of up to 4 KiB on a list per size class and hands out the one freed last,
// still in the cache (as glibc's tcache does). Cachegrind over two exploration seeds: first-level
// misses 4.88 M -> 4.44 M, last-level 1.27 M -> 1.11 M (docs/benchmarks.md).
//
// Rules that keep it correct:
// - every block it hands out comes from mimalloc with its class's whole size, so any block on a
//   class's list holds that class's size, whichever of the deletes returned it: a sized delete
//   names the size asked for (same class), an unsized one is classed by mimalloc's usable size;
// - at most 64 KiB of blocks per class stay on a thread's lists (1.75 MiB in all), the rest go back
//   to mimalloc; a thread's lists go back when it ends, and blocks freed after that go straight
//   back;
// - the aligned forms are mimalloc's own (an aligned block is freed by an aligned delete).
// Which memory a block gets never changes what a simulation does: nothing is ordered by address.
// The root CMakeLists.txt adds this file to every program that links mimalloc (never with the
// sanitizers), and defines SCALEUP_SMALL_BLOCK_CACHE for its tests.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

#include <mimalloc.h>

#include "core/runtime/thread_free_lists.hpp"

namespace {

// Classes: every 16 bytes up to 128, then four to each doubling up to 4 KiB (160, 192, 224, 256,
// 320, ... 4096): each is one of mimalloc's bins, so a block's usable size is its class's size and
// an unsized delete (clang 14 has no sized ones) files it back in its own class. A class's blocks
// are at most a fifth larger than asked for.
constexpr std::size_t kGranule = 16;
constexpr std::size_t kFineClasses = 8;  // 16, 32, ... 128 bytes
constexpr std::size_t kClasses = kFineClasses + 20;
constexpr std::size_t kLargestBlock = 4096;
// A class keeps at most 64 KiB (1,024 blocks of 64 bytes, 16 of 4 KiB): 1.75 MiB a thread.
constexpr std::size_t kMaxKeptBytesPerClass = 64 * 1024;

/// The smallest class holding `size` bytes; kClasses for 0 and for sizes over kLargestBlock.
constexpr std::size_t class_of_request(std::size_t size) noexcept {
    if (size == 0 || size > kLargestBlock)
        return kClasses;
    if (size <= kFineClasses * kGranule)
        return (size - 1) / kGranule;
    const std::size_t below = size - 1;
    const int doubling = std::bit_width(below) - 1;  // 7 for 129..256
    const std::size_t quarter = (below >> (doubling - 2)) & 3;
    return kFineClasses + static_cast<std::size_t>(doubling - 7) * 4 + quarter;
}

/// The size of a class's blocks.
constexpr std::size_t class_size(std::size_t c) noexcept {
    if (c < kFineClasses)
        return (c + 1) * kGranule;
    const std::size_t doubling = 7 + (c - kFineClasses) / 4;
    const std::size_t quarter = (c - kFineClasses) % 4;
    return (5 + quarter) << (doubling - 2);
}

static_assert(class_of_request(128) == 7 && class_size(7) == 128);
static_assert(class_of_request(129) == 8 && class_size(8) == 160);
static_assert(class_of_request(256) == 11 && class_size(11) == 256);
static_assert(class_of_request(257) == 12 && class_size(12) == 320);
static_assert(class_of_request(4096) == kClasses - 1 && class_size(kClasses - 1) == 4096);
static_assert(class_of_request(4097) == kClasses);

// The hot path reads tables, not the arithmetic above: operator new and delete run a few hundred
// thousand times a seed, and the arithmetic cost more instructions than the coroutine frame pool's
// plain division (docs/benchmarks.md).
constexpr auto kClassSizes = [] {
    std::array<std::uint32_t, kClasses> sizes{};
    for (std::size_t c = 0; c < kClasses; ++c)
        sizes[c] = static_cast<std::uint32_t>(class_size(c));
    return sizes;
}();
// The class of a request, by its size in 16-byte granules rounded up (every class size is a
// multiple of 16): entry 0 (size 0) is no class.
constexpr auto kClassOfGranules = [] {
    std::array<std::uint8_t, kLargestBlock / kGranule + 1> classes{};
    for (std::size_t g = 0; g < classes.size(); ++g)
        classes[g] = static_cast<std::uint8_t>(class_of_request(g * kGranule));
    return classes;
}();
static_assert(kClassOfGranules[0] == kClasses && kClassOfGranules[9] == 8);

/// class_of_request, from the table.
std::size_t class_of(std::size_t size) noexcept {
    return size > kLargestBlock ? kClasses : kClassOfGranules[(size + kGranule - 1) / kGranule];
}

/// The largest class whose blocks fit in `usable` bytes; kClasses when none does or the block is
/// larger than any class.
constexpr std::size_t class_of_block(std::size_t usable) noexcept {
    if (usable < kGranule || usable > kLargestBlock)
        return kClasses;
    const std::size_t c = class_of_request(usable);
    return class_size(c) == usable ? c : c - 1;
}

static_assert(class_of_block(160) == 8 && class_of_block(170) == 8 && class_of_block(330) == 12);

struct BlockLayout {
    static constexpr std::size_t kClasses = ::kClasses;
    static constexpr std::size_t kMaxKeptBytesPerClass = ::kMaxKeptBytesPerClass;
    static std::size_t class_size(std::size_t c) noexcept { return kClassSizes[c]; }
    static void release(void* block, std::size_t) noexcept { mi_free(block); }
};
using Lists = scaleup::detail::ThreadFreeLists<BlockLayout>;

void* take(std::size_t size) {
    const std::size_t c = class_of(size);
    if (c >= kClasses)
        return mi_new(size);
    if (void* block = Lists::take(c))
        return block;
    return mi_new(kClassSizes[c]);
}

void* take_nothrow(std::size_t size) noexcept {
    try {
        return take(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

void keep(void* block, std::size_t c) noexcept {
    if (c >= kClasses)
        mi_free(block);
    else
        Lists::keep(block, c);
}

void give_unsized(void* block) noexcept {
    if (block == nullptr)
        return;
    keep(block, class_of_block(mi_usable_size(block)));
}

void give_sized(void* block, std::size_t size) noexcept {
    if (block == nullptr)
        return;
    if (size == 0) {
        give_unsized(block);
        return;
    }
    keep(block, class_of(size));
}

}  // namespace

void* operator new(std::size_t size) {
    return take(size);
}
void* operator new[](std::size_t size) {
    return take(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return take_nothrow(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return take_nothrow(size);
}
void operator delete(void* block) noexcept {
    give_unsized(block);
}
void operator delete[](void* block) noexcept {
    give_unsized(block);
}
void operator delete(void* block, const std::nothrow_t&) noexcept {
    give_unsized(block);
}
void operator delete[](void* block, const std::nothrow_t&) noexcept {
    give_unsized(block);
}
void operator delete(void* block, std::size_t size) noexcept {
    give_sized(block, size);
}
void operator delete[](void* block, std::size_t size) noexcept {
    give_sized(block, size);
}
