#include "pg_dump.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "oban/db/identifiers.hpp"
#include "testkit/private_postgres.hpp"

namespace test_support {
namespace {
// 'text' for /bin/sh: a single quote becomes '\''.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}
}  // namespace

std::string read_text_file(const std::string& path) {
  std::ifstream in{path};
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string pg_dump_schema(const std::string& dsn, const std::string& schema) {
  std::string command = testkit::postgres_bin_dir() + "/pg_dump --schema-only --no-owner --no-privileges";
  if (!schema.empty()) command += " --schema=" + shell_quote(oban::db::quote_ident(schema));
  command += " " + shell_quote(dsn) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run pg_dump");
  std::string output;
  std::array<char, 4096> buffer{};
  while (auto n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  if (pclose(pipe) != 0) throw std::runtime_error("pg_dump failed: " + output);
  return output;
}

std::string normalize_dump(const std::string& dump, const std::string& prefix) {
  std::istringstream in{dump};
  std::ostringstream out;
  std::string line;
  bool skipping_schema_section = false;
  while (std::getline(in, line)) {
    if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) continue;
    if (line.starts_with("-- Dumped from") || line.starts_with("-- Dumped by")) continue;
    if (!prefix.empty()) {
      if (line.find("Type: SCHEMA;") != std::string::npos) {
        skipping_schema_section = true;
        continue;
      }
      if (skipping_schema_section) {
        // The section ends at the next "--" header block after CREATE SCHEMA.
        if (line.starts_with("CREATE SCHEMA")) continue;
        if (line.empty() || line == "--") continue;
        skipping_schema_section = false;
      }
    }
    out << line << "\n";
  }
  std::string text = out.str();
  if (!prefix.empty()) {
    const std::string quoted = oban::db::quote_ident(prefix);
    // Inside a string literal (nextval('...')) the quoted name has its single quotes doubled.
    std::string quoted_in_literal = oban::db::quote_literal(quoted);
    quoted_in_literal = quoted_in_literal.substr(1, quoted_in_literal.size() - 2);
    for (const std::string& name : {quoted_in_literal, quoted, prefix}) {
      for (auto pos = text.find(name + "."); pos != std::string::npos; pos = text.find(name + ".", pos)) {
        text.replace(pos, name.size(), "public");
      }
      for (auto pos = text.find("Schema: " + name + ";"); pos != std::string::npos;
           pos = text.find("Schema: " + name + ";", pos)) {
        text.replace(pos + 8, name.size(), "public");
      }
    }
  }
  // Collapse runs of blank lines, which the removed sections leave behind.
  static const std::regex blank_runs{"\n{3,}"};
  return std::regex_replace(text, blank_runs, "\n\n");
}

}  // namespace test_support
