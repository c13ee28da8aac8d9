#pragma once
// pg_dump of a database's schema, normalized as the fixture comparison needs.
#include <string>

namespace test_support {

// `pg_dump --schema-only --no-owner --no-privileges [--schema S] <dsn>` output.
std::string pg_dump_schema(const std::string& dsn, const std::string& schema = "");

// Drops what differs between any two dumps of the same schema: the \restrict tokens and
// the server/client version comments; with `prefix`, renames that schema to public and
// drops its CREATE SCHEMA section.
std::string normalize_dump(const std::string& dump, const std::string& prefix = "");

// Reads a whole file.
std::string read_text_file(const std::string& path);

}  // namespace test_support
