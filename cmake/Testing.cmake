# crashdrill_add_test(NAME SOURCES a.cc b.cc LIBS x y [SERIAL filter] [FIXTURE f]): one
# GoogleTest binary, each test case registered with CTest without running the
# binary at build time. The cases matching SERIAL (a gtest filter) are instead
# one CTest test, NAME_serial, that runs alone (RUN_SERIAL): for a test that
# stops a server the other tests share. FIXTURE: every case requires the CTest
# fixture f (FIXTURES_REQUIRED), so f's cleanup test runs after all of them.
# In a ThreadSanitizer tree (CRASHDRILL_TSAN) only the cases matching the
# gtest filter CRASHDRILL_THREADED_TESTS (tests/CMakeLists.txt) are
# registered, with the label "threaded".
include(GoogleTest)

function(crashdrill_add_test name)
  cmake_parse_arguments(ARG "" "SERIAL;FIXTURE" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} crashdrill_test_support crashdrill_warnings
                        rapidcheck_gtest rapidcheck GTest::gmock GTest::gtest_main)
  # The test files themselves at -O1 in the release tree (the ThreadSanitizer
  # tree is -O1 throughout): with -g1, checkpointer_test.cc compiles in 20 s
  # instead of 33 s at -O2 -g, and the code the sweeps spend their time in,
  # the libraries under test, stays -O2.
  if(NOT CRASHDRILL_SANITIZE AND NOT CRASHDRILL_TSAN AND CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
    target_compile_options(${name} PRIVATE -O1)
  endif()
  # In the ASan+UBSan tree the test files compile at -O0 (the libraries under
  # test stay at -O1, instrumented): clang 14 compiles checkpointer_test.cc in
  # 15 s instead of 38 s there, and the test files were 1,130 of the tree's
  # 1,940 s of compile.
  if(CRASHDRILL_SANITIZE)
    target_compile_options(${name} PRIVATE -O0)
  endif()
  set(filter_args "")
  set(label_args "")
  if(CRASHDRILL_TSAN)
    set(filter_args TEST_FILTER "${CRASHDRILL_THREADED_TESTS}")
    set(label_args LABELS threaded)
  elseif(ARG_SERIAL)
    set(filter_args TEST_FILTER "-${ARG_SERIAL}")
    add_test(NAME ${name}_serial COMMAND ${name} --gtest_filter=${ARG_SERIAL}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${name}_serial PROPERTIES RUN_SERIAL TRUE
                         ENVIRONMENT "CRASHDRILL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
  set(fixture_args "")
  if(ARG_FIXTURE AND NOT CRASHDRILL_TSAN)
    set(fixture_args FIXTURES_REQUIRED ${ARG_FIXTURE})
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    ${filter_args}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    PROPERTIES ENVIRONMENT "CRASHDRILL_SOURCE_DIR=${PROJECT_SOURCE_DIR}" ${label_args}
               ${fixture_args})
endfunction()
