// A webhook delivery as it reaches intake: the raw body bytes and the headers, and the answer
// GitHub records in its delivery log. Kept free of any HTTP library so the simulated GitHub and the
// real HTTP server hand intake the same thing.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace scaleup {

struct WebhookDelivery {
    // Names lower-cased: "x-github-delivery", ... Transparent, so a lookup by a literal name
    // builds no string.
    std::map<std::string, std::string, std::less<>> headers;
    std::string body;  // raw bytes, exactly as received
};

struct WebhookResponse {
    int status = 200;
    std::string outcome;  // the intake outcome reason ("enqueued", "not_queued_action", ...)
};

}  // namespace scaleup
