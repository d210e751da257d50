#include "core/runtime/frame_pool.hpp"

#include <array>
#include <new>

namespace scaleup::detail {

#if defined(__SANITIZE_ADDRESS__)
#define SCALEUP_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCALEUP_FRAME_POOL 0
#endif
#endif
#ifndef SCALEUP_FRAME_POOL
#define SCALEUP_FRAME_POOL 1
#endif

#if SCALEUP_FRAME_POOL

namespace {

// Sizes are rounded up to 16 bytes (as the allocator aligns them anyway); frames above 4 KiB (none
// in a seed) go to the allocator.
constexpr std::size_t kGranule = 8;
constexpr std::size_t kClasses = 512;
// Enough for the frames a burst of activity frees (a seed's busiest class peaks at a few hundred
// live frames). Only a few dozen sizes occur, so a thread keeps at most a few megabytes.
constexpr std::size_t kMaxKeptPerClass = 512;

/// Back to the allocator, with its size where the compiler has sized deallocation (g++ always;
/// clang 14 only with -fsized-deallocation).
void free_block(void* block, [[maybe_unused]] std::size_t size) noexcept {
#ifdef __cpp_sized_deallocation
    ::operator delete(block, size);
#else
    ::operator delete(block);
#endif
}

struct FreeFrame {
    FreeFrame* next;
};

struct SizeClass {
    FreeFrame* first = nullptr;
    std::size_t kept = 0;
};

class ThreadFramePool {
  public:
    ThreadFramePool() = default;
    ThreadFramePool(const ThreadFramePool&) = delete;
    ThreadFramePool& operator=(const ThreadFramePool&) = delete;
    ~ThreadFramePool() {
        for (std::size_t c = 0; c < kClasses; ++c) {
            while (FreeFrame* frame = classes_[c].first) {
                classes_[c].first = frame->next;
                free_block(frame, (c + 1) * kGranule);
            }
        }
    }

    static std::size_t class_of(std::size_t size) noexcept { return (size - 1) / kGranule; }

    void* take(std::size_t size) {
        const std::size_t c = class_of(size);
        if (c >= kClasses)
            return ::operator new(size);
        SizeClass& sizes = classes_[c];
        if (FreeFrame* frame = sizes.first) {
            sizes.first = frame->next;
            --sizes.kept;
            return frame;
        }
        return ::operator new((c + 1) * kGranule);
    }

    void give(void* block, std::size_t size) noexcept {
        const std::size_t c = class_of(size);
        if (c >= kClasses) {
            free_block(block, size);
            return;
        }
        SizeClass& sizes = classes_[c];
        if (sizes.kept == kMaxKeptPerClass) {
            free_block(block, (c + 1) * kGranule);
            return;
        }
        auto* frame = static_cast<FreeFrame*>(block);
        frame->next = sizes.first;
        sizes.first = frame;
        ++sizes.kept;
    }

  private:
    std::array<SizeClass, kClasses> classes_{};
};

ThreadFramePool& this_thread_pool() {
    thread_local ThreadFramePool pool;
    return pool;
}

}  // namespace

void* allocate_frame(std::size_t size) {
    return this_thread_pool().take(size);
}

bool frame_pool_enabled() noexcept {
    return true;
}

void release_frame(void* frame, std::size_t size) noexcept {
    this_thread_pool().give(frame, size);
}

#else

void* allocate_frame(std::size_t size) {
    return ::operator new(size);
}

bool frame_pool_enabled() noexcept {
    return false;
}

void release_frame(void* frame, std::size_t) noexcept {
    ::operator delete(frame);
}

#endif

}  // namespace scaleup::detail
