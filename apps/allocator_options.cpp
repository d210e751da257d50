// mimalloc's options for every scaleup program, set before main runs (the root CMakeLists.txt adds
// this file to each program that links mimalloc).
//
// Large OS pages: a simulation's records grow for the whole run (a 10,000-job day touches about
// 90 MB), and on a virtual machine each first touch of a 4 KiB page is a fault of several
// microseconds: a quarter of a simulated day went to 22,000 of them. With 2 MiB pages (transparent
// huge pages, asked for with madvise) the same day takes a few hundred faults. Set here, the
// option reaches the memory mimalloc takes from the OS after this initializer: every thread's
// segments but the main thread's first (32 MiB, taken for libstdc++'s start-up). Set in the
// environment (MIMALLOC_LARGE_OS_PAGES=1), it reaches that one too; =0 turns it off.
#include <cstdlib>

#include <mimalloc.h>

namespace {

struct AllocatorOptions {
    AllocatorOptions() {
        if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr)
            mi_option_set_enabled(mi_option_large_os_pages, true);
    }
};

const AllocatorOptions allocator_options;

}  // namespace
