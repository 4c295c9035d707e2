# Warnings are errors on both g++ 12 and clang 14; ccache when the machine has it.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(crashdrill_warnings INTERFACE)
target_compile_options(crashdrill_warnings INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers)
# g++ 12 at -O2 reports "may be used uninitialized" inside std::map for every
# value-initialised aggregate temporary holding maps (EngineState{}): a false
# positive. Real uninitialised reads are still caught by clang's
# -Wuninitialized and by the sanitizer build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(crashdrill_warnings INTERFACE -Wno-maybe-uninitialized)
endif()

if(CRASHDRILL_SANITIZE AND CRASHDRILL_TSAN)
  message(FATAL_ERROR "ThreadSanitizer cannot share a tree with ASan/UBSan: configure another one")
endif()
if(CRASHDRILL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
# Every object of the tree, the libraries included: a race is seen only where
# both sides are instrumented.
if(CRASHDRILL_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# Line tables only (-g1, after the configuration's -g): backtraces, sanitizer
# reports and gdb still give function, file and line; full debug info of the
# template-heavy test files (RapidCheck, GoogleTest) was most of a cold build,
# and CI builds three trees from a clean clone.
if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
  add_compile_options(-g1)
endif()
