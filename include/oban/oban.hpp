#pragma once
// oban-cpp's public API in one include: workers (plain and typed), the client that inserts
// jobs and sends signals, the node that runs queues, telemetry, and Oban's schema. It needs
// no libpqxx or Boost headers. Separate: <oban/testing/testing.hpp> (Oban.Testing's helpers)
// and <oban/db/connection.hpp> (a pool of your own; it includes <pqxx/pqxx>).
#include "oban/version.hpp"

#include "oban/core/args.hpp"
#include "oban/core/backoff.hpp"
#include "oban/core/clock.hpp"
#include "oban/core/insert_result.hpp"
#include "oban/core/job.hpp"
#include "oban/core/job_result.hpp"
#include "oban/core/job_state.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/core/unique_options.hpp"
#include "oban/core/value.hpp"
#include "oban/json/json_object.hpp"
#include "oban/json/json_value.hpp"
#include "oban/worker.hpp"
#include "oban/typed_worker.hpp"
#include "oban/client/client.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "oban/plugins/cron_entry.hpp"
#include "oban/plugins/plugin.hpp"
#include "oban/runtime/default_logger.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_config.hpp"
