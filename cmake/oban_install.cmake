# `cmake --install` for the oban library: headers (include/oban), liboban.a and a
# CMake package, so another project can
#   find_package(oban CONFIG REQUIRED)                     # oban::oban
#   find_package(oban CONFIG REQUIRED COMPONENTS testkit)  # also oban::testkit (PrivatePostgres)
# Components: `oban` (library, headers, package files) and `testkit`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OBAN_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/oban)

# The public API is exactly include/oban/ (the internals' headers live in src/oban/), plus
# the generated oban/version.hpp.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/oban DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT oban
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${OBAN_GENERATED_INCLUDE_DIR}/oban/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/oban
  COMPONENT oban)

install(TARGETS oban EXPORT obanTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT oban)
install(EXPORT obanTargets NAMESPACE oban:: DESTINATION ${OBAN_PACKAGE_DIR} COMPONENT oban)

set_target_properties(oban_testkit PROPERTIES EXPORT_NAME testkit)
install(TARGETS oban_testkit EXPORT obanTestkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT testkit)
install(FILES ${CMAKE_SOURCE_DIR}/include/testkit/private_postgres.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/testkit COMPONENT testkit)
install(EXPORT obanTestkitTargets NAMESPACE oban:: DESTINATION ${OBAN_PACKAGE_DIR} COMPONENT testkit)

configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/obanConfig.cmake.in
  ${CMAKE_BINARY_DIR}/generated/obanConfig.cmake INSTALL_DESTINATION ${OBAN_PACKAGE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/generated/obanConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/generated/obanConfig.cmake ${CMAKE_BINARY_DIR}/generated/obanConfigVersion.cmake
  DESTINATION ${OBAN_PACKAGE_DIR} COMPONENT oban)
