#include "core/runtime/frame_pool.hpp"

#include <new>

#include "core/runtime/thread_free_lists.hpp"

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

namespace {
/// Back to the allocator, with its size where the compiler has sized deallocation (g++ always;
/// clang 14 only with -fsized-deallocation).
void free_frame_block(void* block, [[maybe_unused]] std::size_t size) noexcept {
#ifdef __cpp_sized_deallocation
    ::operator delete(block, size);
#else
    ::operator delete(block);
#endif
}

}  // namespace

#if SCALEUP_FRAME_POOL

namespace {

// One class per 8 bytes of frame size (a class's frames are all the same size); frames above
// 4 KiB (none in a seed) go to the allocator.
constexpr std::size_t kFrameGranule = 8;
constexpr std::size_t kFrameClasses = 512;
// Enough for the frames a burst of activity frees (a seed's busiest size peaks at a few hundred
// live frames); only a few dozen sizes occur, so a thread keeps a few megabytes at most.
constexpr std::size_t kMaxKeptBytesPerFrameClass = 64 * 1024;

struct FrameLayout {
    static constexpr std::size_t kClasses = kFrameClasses;
    static constexpr std::size_t kMaxKeptBytesPerClass = kMaxKeptBytesPerFrameClass;
    static constexpr std::size_t class_size(std::size_t c) noexcept {
        return (c + 1) * kFrameGranule;
    }
    static void release(void* block, std::size_t bytes) noexcept { free_frame_block(block, bytes); }
};
using FrameLists = ThreadFreeLists<FrameLayout>;

}  // namespace

void* allocate_frame(std::size_t size) {
    const std::size_t c = (size - 1) / kFrameGranule;
    if (size == 0 || c >= kFrameClasses)
        return ::operator new(size);
    if (void* frame = FrameLists::take(c))
        return frame;
    return ::operator new(FrameLayout::class_size(c));
}

void release_frame(void* frame, std::size_t size) noexcept {
    const std::size_t c = (size - 1) / kFrameGranule;
    if (size == 0 || c >= kFrameClasses)
        free_frame_block(frame, size);
    else
        FrameLists::keep(frame, c);
}

bool frame_pool_enabled() noexcept {
    return true;
}

#else

void* allocate_frame(std::size_t size) {
    return ::operator new(size);
}

void release_frame(void* frame, std::size_t size) noexcept {
    free_frame_block(frame, size);
}

bool frame_pool_enabled() noexcept {
    return false;
}

#endif

}  // namespace scaleup::detail
