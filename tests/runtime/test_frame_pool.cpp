// The coroutine frame pool: a frame freed is the next one of its size handed out, sizes never
// share a block they do not fit, and coroutines run the same on pooled frames.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "core/runtime/frame_pool.hpp"
#include "core/runtime/task.hpp"

using namespace scaleup;
using detail::allocate_frame;
using detail::release_frame;

namespace {
Task<int> add_one(int x) {
    co_return x + 1;
}

Task<int> count_up(int depth) {
    if (depth == 0)
        co_return 0;
    const int below = co_await count_up(depth - 1);
    co_return co_await add_one(below);
}
}  // namespace

TEST_CASE("a freed frame is the next one of its size, last freed first") {
    if (!detail::frame_pool_enabled())
        SUCCEED("sanitizer build: frames come from the allocator, nothing to reuse");
    else {
        void* a = allocate_frame(200);
        void* b = allocate_frame(200);
        release_frame(a, 200);
        release_frame(b, 200);
        CHECK(allocate_frame(200) == b);
        CHECK(allocate_frame(195) == a);  // the same 8-byte size class
        void* c = allocate_frame(200);
        CHECK(c != a);
        CHECK(c != b);
        release_frame(a, 200);
        release_frame(b, 200);
        release_frame(c, 200);
    }
}

TEST_CASE("frames of other sizes never share a block") {
    // Freed small blocks must not serve a larger request they cannot hold.
    void* small = allocate_frame(64);
    release_frame(small, 64);
    void* large = allocate_frame(128);
    CHECK(large != small);
    std::memset(large, 0xab, 128);  // the sanitizer build checks the whole block is ours
    release_frame(large, 128);

    void* huge = allocate_frame(64 * 1024);  // above every class: the allocator's own
    std::memset(huge, 0, 64 * 1024);
    release_frame(huge, 64 * 1024);
}

TEST_CASE("a size keeps 64 KiB of frames, the first freed, and gives them back last first") {
    if (!detail::frame_pool_enabled()) {
        SUCCEED("sanitizer build: frames come from the allocator, nothing to reuse");
        return;
    }
    // Taking 2,000 empties the size's list first; of the 2,000 freed, 682 of 96 bytes fit in 64
    // KiB.
    std::vector<void*> frames;
    frames.reserve(2000);
    for (int i = 0; i < 2000; ++i) {
        frames.push_back(allocate_frame(96));
        std::memset(frames.back(), i & 0xff, 96);
    }
    for (void* frame : frames)
        release_frame(frame, 96);
    std::vector<void*> again;
    again.reserve(683);
    for (int i = 0; i < 682; ++i)
        again.push_back(allocate_frame(96));
    bool last_freed_first = true;
    for (std::size_t i = 0; i < again.size(); ++i)
        last_freed_first = last_freed_first && again[i] == frames[681 - i];
    CHECK(last_freed_first);
    for (void* frame : again)
        release_frame(frame, 96);
}

TEST_CASE("nested coroutines give the same results on recycled frames") {
    for (int round = 0; round < 3; ++round) {
        auto task = count_up(50);
        auto handle = task.handle();
        handle.resume();
        REQUIRE(handle.done());
        CHECK(handle.promise().take() == 50);
    }
}
