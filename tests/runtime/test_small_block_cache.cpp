// apps/small_block_cache.cpp, as linked into this test program (every program that links
// mimalloc): the small block freed last is the next one of its class, whichever delete freed it;
// classes never mix; blocks move between threads and go back when a thread ends.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#ifdef SCALEUP_SMALL_BLOCK_CACHE

namespace {
/// A sized delete where the compiler has them (g++; clang 14 calls the unsized one).
void delete_sized(void* block, [[maybe_unused]] std::size_t size) {
#ifdef __cpp_sized_deallocation
    ::operator delete(block, size);
#else
    ::operator delete(block);
#endif
}
}  // namespace

TEST_CASE("the small block freed last is the next one of its class, from either delete") {
    void* first = ::operator new(40);  // class of 33 to 48 bytes
    delete_sized(first, 40);
    void* again = ::operator new(48);
    CHECK(again == first);
    ::operator delete(again);  // unsized: classed by the allocator's usable size
    void* third = ::operator new(33);
    CHECK(third == first);
    std::memset(third, 0x5a, 48);  // the class's whole size is the block's
    delete_sized(third, 33);
}

TEST_CASE("blocks of another class, of no class, or over the cap are never mixed up") {
    void* small = ::operator new(16);
    delete_sized(small, 16);
    void* large = ::operator new(200);
    CHECK(large != small);
    std::memset(large, 0x11, 208);
    delete_sized(large, 200);

    // Above 256 bytes, four classes to a doubling: 1,000 and 1,024 bytes share one, 1,025 does not.
    void* kilobyte = ::operator new(1000);
    delete_sized(kilobyte, 1000);
    void* same_class = ::operator new(1024);
    CHECK(same_class == kilobyte);
    std::memset(same_class, 0x33, 1024);
    ::operator delete(same_class);
    void* next_class = ::operator new(1025);
    CHECK(next_class != kilobyte);
    std::memset(next_class, 0x44, 1025);
    delete_sized(next_class, 1025);

    void* big = ::operator new(8192);  // no class: mimalloc's own
    std::memset(big, 0x22, 8192);
    ::operator delete(big);
    void* empty = ::operator new(0);
    CHECK(empty != nullptr);
    delete_sized(empty, std::size_t{0});

    // More blocks than a class keeps (64 KiB: 1,024 of 64 bytes). Taking 2,000 empties the class's
    // list first; of the 2,000 freed, the first 1,024 stay and come back last freed first.
    std::vector<void*> blocks;
    blocks.reserve(2000);  // the vectors' own blocks are in no class
    for (int i = 0; i < 2000; ++i) {
        blocks.push_back(::operator new(64));
        std::memset(blocks.back(), i & 0xff, 64);
    }
    for (void* block : blocks)
        delete_sized(block, 64);
    std::vector<void*> again;
    again.reserve(1024);
    for (int i = 0; i < 1024; ++i)
        again.push_back(::operator new(64));
    bool last_freed_first = true;
    for (std::size_t i = 0; i < again.size(); ++i)
        last_freed_first = last_freed_first && again[i] == blocks[1023 - i];
    CHECK(last_freed_first);
    for (void* block : again)
        delete_sized(block, 64);
}

TEST_CASE("blocks cross threads, and a thread's kept blocks go back when it ends") {
    std::vector<std::string*> made_here;
    for (int i = 0; i < 100; ++i)
        made_here.push_back(new std::string(40, static_cast<char>('a' + i % 26)));
    std::vector<std::string*> made_there;
    std::thread worker([&] {
        for (auto* text : made_here)
            delete text;  // freed on another thread: kept there until it ends
        for (int i = 0; i < 100; ++i)
            made_there.push_back(new std::string(40, 'z'));
    });
    worker.join();
    for (auto* text : made_there) {
        CHECK(*text == std::string(40, 'z'));
        delete text;
    }
}

#else

TEST_CASE("the small block cache is not linked into sanitizer builds") {
    SUCCEED("blocks come from the sanitizer's allocator");
}

#endif
