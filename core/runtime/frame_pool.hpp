// FramePool: where coroutine frames come from.
//
// Every call of a coroutine allocates its frame and every finished one frees it: an exploration
// seed makes about 100,000 frames, most of them short (a retry loop, one simulated round trip).
// mimalloc hands a freed block out again only after the rest of its page, by when it has left the
// cache, and reading the free block's link was half of `operator new`'s time in a seed's profile.
// The pool gives back the frame of the same size freed last, still in the cache.
//
// One pool per thread (a frame is freed on the thread that runs its coroutine's last step), at most
// 64 KiB of frames per size, returned to the allocator when the thread ends; a frame freed after
// that goes straight back. Which memory a frame gets never changes what a simulation does: nothing
// is ordered or decided by address. Under AddressSanitizer the pool is bypassed, so that a frame
// used after it was freed is still reported. It sits in front of the programs' small block cache
// (apps/small_block_cache.cpp), which would take frames too, and still pays on the wall clock:
// without it a seed has a tenth fewer simulated first-level misses, yet two runs of ten
// alternating pairs came out at medians of 1.02 and 1.03 (docs/benchmarks.md).
#pragma once

#include <cstddef>

namespace scaleup::detail {

/// A block of at least `size` bytes, aligned as `operator new` aligns.
void* allocate_frame(std::size_t size);
/// Precondition: `frame` came from allocate_frame(size) with this `size`.
void release_frame(void* frame, std::size_t size) noexcept;
/// False in sanitizer builds, where every frame comes from the allocator and goes back to it.
bool frame_pool_enabled() noexcept;

}  // namespace scaleup::detail
