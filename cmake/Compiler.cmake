# Warnings are errors on both g++ 12 and clang 14; ccache when the machine has it.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(crashdrill_warnings INTERFACE)
target_compile_options(crashdrill_warnings INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers)

if(CRASHDRILL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
