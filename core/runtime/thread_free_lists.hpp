// ThreadFreeLists: the blocks a thread freed, kept by size class and handed out again last freed
// first, while they are still in the cache.
//
// Two allocators use it: the coroutine frame pool (core/runtime/frame_pool.cpp) and the programs'
// small block cache (apps/small_block_cache.cpp). `Layout` says how: `kClasses`,
// `kMaxKeptBytesPerClass`, `class_size(c)` (the bytes of every block of class `c`) and
// `release(block, bytes)` (back to the allocator underneath).
//
// The lists are plain data, zero-initialised, so reaching them costs no guard. A class keeps at
// most `kMaxKeptBytesPerClass`; past it, and once the thread's lists are gone (a flusher empties
// them when the thread ends), a block goes straight back to the allocator.
#pragma once

#include <cstddef>
#include <cstdint>

namespace scaleup::detail {

template <typename Layout>
class ThreadFreeLists {
  public:
    /// A block of class `c` this thread freed, or null. Precondition: c < Layout::kClasses.
    static void* take(std::size_t c) noexcept {
        FreeBlock* block = lists_.first[c];
        if (block != nullptr) {
            lists_.first[c] = block->next;
            lists_.kept_bytes[c] -= static_cast<std::uint32_t>(Layout::class_size(c));
        }
        return block;
    }

    /// Keeps `block`, of class `c`, for a later take, or releases it. Precondition: c <
    /// Layout::kClasses and the block holds class_size(c) bytes.
    static void keep(void* block, std::size_t c) noexcept {
        const std::size_t bytes = Layout::class_size(c);
        if (lists_.closed || lists_.kept_bytes[c] + bytes > Layout::kMaxKeptBytesPerClass) {
            Layout::release(block, bytes);
            return;
        }
        if (!lists_.flush_registered)
            register_flush();
        auto* free_block = static_cast<FreeBlock*>(block);
        free_block->next = lists_.first[c];
        lists_.first[c] = free_block;
        lists_.kept_bytes[c] += static_cast<std::uint32_t>(bytes);
    }

  private:
    struct FreeBlock {
        FreeBlock* next;
    };
    struct Lists {
        FreeBlock* first[Layout::kClasses];
        std::uint32_t kept_bytes[Layout::kClasses];
        bool flush_registered;
        bool closed;  // the thread is ending: blocks go straight back
    };
    struct Flusher {
        Flusher() = default;
        Flusher(const Flusher&) = delete;
        Flusher& operator=(const Flusher&) = delete;
        ~Flusher() {
            lists_.closed = true;
            for (std::size_t c = 0; c < Layout::kClasses; ++c) {
                while (FreeBlock* block = lists_.first[c]) {
                    lists_.first[c] = block->next;
                    Layout::release(block, Layout::class_size(c));
                }
                lists_.kept_bytes[c] = 0;
            }
        }
    };

    static void register_flush() noexcept {
        thread_local Flusher flusher;  // constructed here, destroyed when the thread ends
        (void)flusher;
        lists_.flush_registered = true;
    }

    static inline thread_local Lists lists_{};
};

}  // namespace scaleup::detail
