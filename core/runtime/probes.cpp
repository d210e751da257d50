#include "core/runtime/probes.hpp"

namespace scaleup {

namespace {
constexpr std::array<std::string_view, kProbeCount> kIds{
#define SCALEUP_PROBE_ID(id, phrase) #id,
    SCALEUP_PROBES(SCALEUP_PROBE_ID)
#undef SCALEUP_PROBE_ID
};
constexpr std::array<std::string_view, kProbeCount> kPhrases{
#define SCALEUP_PROBE_PHRASE(id, phrase) phrase,
    SCALEUP_PROBES(SCALEUP_PROBE_PHRASE)
#undef SCALEUP_PROBE_PHRASE
};
}  // namespace

std::string_view probe_id(Probe probe) noexcept {
    return kIds[static_cast<std::size_t>(probe)];
}

std::string_view probe_phrase(Probe probe) noexcept {
    return kPhrases[static_cast<std::size_t>(probe)];
}

}  // namespace scaleup
