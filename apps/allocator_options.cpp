// mimalloc's options for every scaleup program, set before main runs (the root CMakeLists.txt adds
// this file to each program that links mimalloc).
//
// Large OS pages: a simulation's records grow for the whole run (a 10,000-job day touches about
// 90 MB), and on a virtual machine each first touch of a 4 KiB page is a fault of several
// microseconds: a quarter of a simulated day went to 22,000 of them. With 2 MiB pages (transparent
// huge pages, asked for with madvise) the same day takes a few hundred faults.
//
// Set here, the option reaches the memory mimalloc takes from the OS after this initializer, but
// not the main thread's first segment (32 MiB), taken before it for libstdc++'s start-up. A day run
// on the main thread (`scaleup run`, bench_world) filled that segment 4 KiB at a time: 8,600 of
// a 10,000-job day's faults. So the anonymous mappings that exist already are advised too: the
// kernel then backs each untouched 2 MiB of them with one huge page. Set in the environment
// (MIMALLOC_LARGE_OS_PAGES=1), the option reaches that segment by itself; =0 turns it all off.
#include <cstdio>
#include <cstdlib>

#include <sys/mman.h>

#include <mimalloc.h>

namespace {

constexpr unsigned long kHugePage = 2UL << 20;

/// madvise(MADV_HUGEPAGE) on every private anonymous read-write mapping of at least 2 MiB. A hint
/// only: a mapping the kernel cannot back with huge pages is left as it was.
void advise_huge_pages_for_existing_mappings() {
    std::FILE* maps = std::fopen("/proc/self/maps", "r");
    if (maps == nullptr)
        return;
    char line[512];
    while (std::fgets(line, sizeof line, maps) != nullptr) {
        // "start-end perms offset dev inode [path]": an anonymous mapping has inode 0 and no path.
        unsigned long start = 0, end = 0, offset = 0, inode = 0;
        char perms[5] = {};
        char device[16] = {};
        int path_at = 0;
        if (std::sscanf(line, "%lx-%lx %4s %lx %15s %lu %n", &start, &end, perms, &offset, device,
                        &inode, &path_at) < 6) {
            continue;
        }
        const bool anonymous = inode == 0 && (line[path_at] == '\n' || line[path_at] == '\0');
        const bool private_read_write = perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p';
        if (anonymous && private_read_write && end - start >= kHugePage)
            (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
    }
    std::fclose(maps);
}

struct AllocatorOptions {
    AllocatorOptions() {
        if (std::getenv("MIMALLOC_LARGE_OS_PAGES") != nullptr)
            return;
        mi_option_set_enabled(mi_option_large_os_pages, true);
        advise_huge_pages_for_existing_mappings();
    }
};

const AllocatorOptions allocator_options;

}  // namespace
