# Turns every <SQL_DIR>/<GROUP>/<name>.sql into a string compiled into a library, so the
# binary carries its SQL. Script mode:
#   -DSQL_DIR=... -DGROUP=oban -DNAMESPACE=oban::db -DOUTPUT=...
# Defines NAMESPACE::embedded_sql_file(path) for paths "<GROUP>/<file>" (throws
# std::out_of_range for any other path).
file(GLOB files RELATIVE ${SQL_DIR}/${GROUP} ${SQL_DIR}/${GROUP}/*.sql)
list(SORT files)
set(body "// Generated from sql/${GROUP} by cmake/embed_sql.cmake. Do not edit.\n")
string(APPEND body "#include <stdexcept>\n#include <string>\n#include <string_view>\n\n")
string(APPEND body "namespace ${NAMESPACE} {\n\nstd::string embedded_sql_file(std::string_view path) {\n")
foreach(f IN LISTS files)
  file(READ ${SQL_DIR}/${GROUP}/${f} content)
  string(APPEND body "  if (path == \"${GROUP}/${f}\") return R\"obansql(${content})obansql\";\n")
endforeach()
string(APPEND body "  throw std::out_of_range(\"no embedded SQL file \" + std::string{path});\n}\n\n}  // namespace ${NAMESPACE}\n")
file(WRITE ${OUTPUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
