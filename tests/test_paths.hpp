#pragma once
// Where the tests find files that are not built: the repository's own (scenarios, their schema)
// and the shared test data next to it. Found from this header's own path, so no compile definition
// is needed.

#include <string>

namespace scaleup::testing {

/// The repository root: this file is <root>/tests/test_paths.hpp.
inline std::string source_root() {
    const std::string here = __FILE__;
    return here.substr(0, here.rfind("/tests/"));
}

/// A file of the shared test data (`../shared/testdata/` next to the repository root).
inline std::string shared_testdata(const std::string& relative) {
    return source_root() + "/../shared/testdata/" + relative;
}

}  // namespace scaleup::testing
