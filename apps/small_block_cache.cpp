// SmallBlockCache: `operator new` and `operator delete` for scaleup's programs, on top of mimalloc.
//
// A simulation allocates and frees a few hundred thousand small blocks a seed (strings, vectors,
// coroutine frames), most of them freed within a few events. mimalloc hands a freed block out
// again only once the rest of its page is used, by when it has left the cache: reading the free
// block's link was half of `operator new`'s time in a profile of a seed. Here each thread keeps
// its freed blocks of up to 256 bytes on a list per 16-byte size class and hands out the one freed
// last, still in the cache (as glibc's tcache does). Cachegrind over two exploration seeds:
// first-level misses 4.88 M -> 4.56 M, last-level 1.27 M -> 1.17 M (docs/benchmarks.md).
//
// Rules that keep it correct:
// - every block it hands out comes from mimalloc with its class's whole size, so any block on a
//   class's list holds that class's size, whichever of the deletes returned it: a sized delete
//   names the size asked for (same class), an unsized one is classed by mimalloc's usable size;
// - at most 256 blocks per class stay on a thread's list (1 MiB at most), the rest go back to
//   mimalloc; a thread's lists go back when it ends, and blocks freed after that go straight back;
// - the aligned forms are mimalloc's own (an aligned block is freed by an aligned delete).
// Which memory a block gets never changes what a simulation does: nothing is ordered by address.
// The root CMakeLists.txt adds this file to every program that links mimalloc (never with the
// sanitizers), and defines SCALEUP_SMALL_BLOCK_CACHE for its tests.
#include <cstddef>
#include <cstdint>
#include <new>

#include <mimalloc.h>

namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = 16;  // 16, 32, ... 256 bytes
constexpr std::uint32_t kMaxKeptPerClass = 256;

struct FreeBlock {
    FreeBlock* next;
};

// Plain data, zero-initialised: reaching it costs no guard, unlike a thread_local with a
// constructor. The flusher below empties it when the thread ends.
struct ThreadLists {
    FreeBlock* first[kClasses];
    std::uint32_t kept[kClasses];
    bool flush_registered;
    bool closed;  // the thread is ending: blocks go straight back to mimalloc
};

thread_local ThreadLists lists;

struct Flusher {
    Flusher() = default;
    Flusher(const Flusher&) = delete;
    Flusher& operator=(const Flusher&) = delete;
    ~Flusher() {
        lists.closed = true;
        for (std::size_t c = 0; c < kClasses; ++c) {
            while (FreeBlock* block = lists.first[c]) {
                lists.first[c] = block->next;
                mi_free(block);
            }
            lists.kept[c] = 0;
        }
    }
};

void register_flush() {
    thread_local Flusher flusher;  // constructed here, destroyed when the thread ends
    (void)flusher;
    lists.flush_registered = true;
}

/// The class of a request of `size` bytes; kClasses or more for sizes no class holds (and for 0).
std::size_t class_of_request(std::size_t size) noexcept {
    return (size - 1) / kGranule;  // 0 wraps to the largest value: not cached
}

void* take(std::size_t size) {
    const std::size_t c = class_of_request(size);
    if (c >= kClasses)
        return mi_new(size);
    if (FreeBlock* block = lists.first[c]) {
        lists.first[c] = block->next;
        --lists.kept[c];
        return block;
    }
    return mi_new((c + 1) * kGranule);
}

void* take_nothrow(std::size_t size) noexcept {
    try {
        return take(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

void keep(void* block, std::size_t c) noexcept {
    if (c >= kClasses || lists.kept[c] == kMaxKeptPerClass || lists.closed) {
        mi_free(block);
        return;
    }
    if (!lists.flush_registered)
        register_flush();
    auto* free_block = static_cast<FreeBlock*>(block);
    free_block->next = lists.first[c];
    lists.first[c] = free_block;
    ++lists.kept[c];
}

void give_unsized(void* block) noexcept {
    if (block == nullptr)
        return;
    // The largest class the block holds whole.
    const std::size_t usable = mi_usable_size(block);
    if (usable < kGranule || usable > kClasses * kGranule) {
        mi_free(block);
        return;
    }
    keep(block, usable / kGranule - 1);
}

void give_sized(void* block, std::size_t size) noexcept {
    if (block == nullptr)
        return;
    if (size == 0) {
        give_unsized(block);
        return;
    }
    keep(block, class_of_request(size));
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
