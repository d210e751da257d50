// QueuePort: the SQS standard queue the workflow_job messages travel on.
//
// At-least-once: a message can arrive twice, and a delete with a stale receipt handle may succeed
// without deleting. The core is idempotent per job, so neither loses or doubles a runner.
#pragma once

#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup {

struct QueueMessage {
    std::string id;              // SQS MessageId: what batchItemFailures names
    std::string receipt_handle;  // the latest receive's handle
    std::string body;
    int receive_count = 1;  // ApproximateReceiveCount
    Instant sent_at{};
};

class QueuePort {
  public:
    virtual ~QueuePort() = default;
    /// Up to `max_messages` (1-10), waiting up to `wait` (long poll, at most 20 s).
    virtual Task<Result<std::vector<QueueMessage>>> receive(int max_messages, Duration wait) = 0;
    virtual Task<Status> delete_message(std::string receipt_handle) = 0;
    /// Makes the message visible again `timeout` from now (0 = at once; at most 12 h in all).
    virtual Task<Status> change_visibility(std::string receipt_handle, Duration timeout) = 0;
    /// Sends a new message, invisible for `delay` (at most 15 min).
    virtual Task<Status> send(std::string body, Duration delay) = 0;
    /// Sends the body to the dead-letter queue with the reason it could not be handled.
    virtual Task<Status> send_to_dead_letter(std::string body, std::string reason) = 0;
};

}  // namespace scaleup
