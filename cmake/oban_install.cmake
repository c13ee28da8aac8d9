# `cmake --install` for the oban library: headers (cmake/public_headers.txt), liboban.a and a
# CMake package, so another project can
#   find_package(oban CONFIG REQUIRED)                     # oban::oban
#   find_package(oban CONFIG REQUIRED COMPONENTS testkit)  # also oban::testkit (PrivatePostgres)
# Components: `oban` (library, headers, package files) and `testkit`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OBAN_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/oban)

file(STRINGS ${CMAKE_SOURCE_DIR}/cmake/public_headers.txt header_lines REGEX "^(api|internal) ")
foreach(line IN LISTS header_lines)
  string(REGEX REPLACE "^(api|internal) +" "" header "${line}")
  get_filename_component(header_dir "${header}" DIRECTORY)
  if(header STREQUAL "oban/version.hpp")
    set(header_file ${OBAN_GENERATED_INCLUDE_DIR}/${header})
  else()
    set(header_file ${CMAKE_SOURCE_DIR}/include/${header})
  endif()
  install(FILES ${header_file} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${header_dir} COMPONENT oban)
endforeach()

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
