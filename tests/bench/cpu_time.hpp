#pragma once
// CPU time, to tell what bounds a drain on a shared 2-core machine: the server's work per
// job (every backend of the private PostgreSQL) and the client's (this process, or the
// pgbench it ran).
#include <pqxx/pqxx>

namespace bench {

// CPU seconds (user + system) the private server has used so far: the postmaster, the
// backends it has reaped and those still running. Read from /proc (same host).
double server_cpu_seconds(pqxx::connection& conn);

// CPU seconds (user + system) of this process and of the children it has waited for.
double client_cpu_seconds();

}  // namespace bench
