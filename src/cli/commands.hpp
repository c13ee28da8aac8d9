#pragma once
// rindle-worker's subcommands. Each takes the arguments after its name and returns the
// process exit code.
#include <string>
#include <vector>

namespace cli {

using Args = std::vector<std::string>;

int migrate_command(const Args& args);
int status_command(const Args& args);
int run_command(const Args& args);
int insert_command(const Args& args);
int pause_command(const Args& args);
int resume_command(const Args& args);
int scale_command(const Args& args);
int cancel_command(const Args& args);
int retry_command(const Args& args);

// DATABASE_URL, or a clear error naming it.
std::string database_url_from_env();
// The value of environment variable `name`, or `fallback`.
std::string env_or(const char* name, const std::string& fallback);

}  // namespace cli
