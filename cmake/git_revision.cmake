# Writes OUTPUT, a header defining GAMMALAB_GIT_REVISION: the source tree's commit
# (git rev-parse --short HEAD), with "-dirty" where tracked files differ from it, or
# "unknown" outside a git checkout. Run at every build (experiments/CMakeLists.txt), not
# once at configure time, so that a manifest names the revision its program was built
# from; the file is rewritten only when its text changes, so that only what includes it
# is compiled again. Usage:
#   cmake -DSOURCE_DIR=<tree> -DOUTPUT=<header> -P git_revision.cmake
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE status
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT status EQUAL 0 OR NOT revision)
  set(revision unknown)
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SOURCE_DIR}"
                  OUTPUT_VARIABLE changes ERROR_QUIET)
  if(changes)
    string(APPEND revision "-dirty")
  endif()
endif()
set(text "// Generated at build time by cmake/git_revision.cmake: do not edit.\n#pragma once\n#define GAMMALAB_GIT_REVISION \"${revision}\"\n")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
