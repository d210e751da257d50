#include "core/runtime/frame_pool.hpp"

#include <cstdint>
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

struct FreeFrame {
    FreeFrame* next;
};

// Plain data, zero-initialised: reaching it costs no guard. The flusher below empties it when the
// thread ends; frames freed after that (by a later destructor) go straight back to the allocator.
struct ThreadFrameLists {
    FreeFrame* first[kFrameClasses];
    std::uint32_t kept_bytes[kFrameClasses];
    bool flush_registered;
    bool closed;
};

thread_local ThreadFrameLists frame_lists;

struct FrameListsFlusher {
    FrameListsFlusher() = default;
    FrameListsFlusher(const FrameListsFlusher&) = delete;
    FrameListsFlusher& operator=(const FrameListsFlusher&) = delete;
    ~FrameListsFlusher() {
        frame_lists.closed = true;
        for (std::size_t c = 0; c < kFrameClasses; ++c) {
            while (FreeFrame* frame = frame_lists.first[c]) {
                frame_lists.first[c] = frame->next;
                free_frame_block(frame, (c + 1) * kFrameGranule);
            }
            frame_lists.kept_bytes[c] = 0;
        }
    }
};

void register_frame_flush() {
    thread_local FrameListsFlusher flusher;  // constructed here, destroyed when the thread ends
    (void)flusher;
    frame_lists.flush_registered = true;
}

}  // namespace

void* allocate_frame(std::size_t size) {
    const std::size_t c = (size - 1) / kFrameGranule;
    if (size == 0 || c >= kFrameClasses)
        return ::operator new(size);
    if (FreeFrame* frame = frame_lists.first[c]) {
        frame_lists.first[c] = frame->next;
        frame_lists.kept_bytes[c] -= static_cast<std::uint32_t>((c + 1) * kFrameGranule);
        return frame;
    }
    return ::operator new((c + 1) * kFrameGranule);
}

void release_frame(void* frame, std::size_t size) noexcept {
    const std::size_t c = (size - 1) / kFrameGranule;
    if (size == 0 || c >= kFrameClasses) {
        free_frame_block(frame, size);
        return;
    }
    const std::size_t bytes = (c + 1) * kFrameGranule;
    if (frame_lists.closed || frame_lists.kept_bytes[c] + bytes > kMaxKeptBytesPerFrameClass) {
        free_frame_block(frame, bytes);
        return;
    }
    if (!frame_lists.flush_registered)
        register_frame_flush();
    auto* free_frame = static_cast<FreeFrame*>(frame);
    free_frame->next = frame_lists.first[c];
    frame_lists.first[c] = free_frame;
    frame_lists.kept_bytes[c] += static_cast<std::uint32_t>(bytes);
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
