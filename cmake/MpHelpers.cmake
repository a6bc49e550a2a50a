# mp_add_test(<name> SOURCES ... LIBS ... [TEST_PREFIX <prefix>]): one
# GoogleTest binary per source directory, each case registered with CTest
# (named <prefix><Suite>.<Case> when a prefix is given).
function(mp_add_test name)
  cmake_parse_arguments(ARG "" "TEST_PREFIX" "SOURCES;LIBS" ${ARGN})
  if(NOT MP_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  set(prefix_args "")
  if(ARG_TEST_PREFIX)
    set(prefix_args TEST_PREFIX ${ARG_TEST_PREFIX})
  endif()
  gtest_discover_tests(${name} ${prefix_args} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "MP_TEST_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# mp_embed_sql(<out_cc> <namespace> <var> <file>...): turns schema files into a
# C++ array of {version, sql} so a binary carries its own migrations.
function(mp_embed_sql out_cc ns var)
  set(body "")
  set(version 0)
  foreach(file ${ARGN})
    math(EXPR version "${version} + 1")
    file(READ ${file} sql)
    string(APPEND body "    {${version}, R\"mpsql(${sql})mpsql\"},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  endforeach()
  file(WRITE ${out_cc}.tmp
    "// Generated from deploy/sql by mp_embed_sql. Do not edit.\n"
    "#include \"storage/migration.h\"\n\nnamespace ${ns} {\n"
    "const std::vector<mp::storage::Migration>& ${var}() {\n"
    "  static const std::vector<mp::storage::Migration> kMigrations = {\n${body}  };\n"
    "  return kMigrations;\n}\n}  // namespace ${ns}\n")
  configure_file(${out_cc}.tmp ${out_cc} COPYONLY)
endfunction()
