# Included when MP_BUILD_FUZZ is ON: every library is built with libFuzzer's
# coverage instrumentation and checked by AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer; fuzz/CMakeLists.txt links the
# fuzz targets with libFuzzer's main. Only clang has libFuzzer.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "MP_BUILD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ "
    "(fuzz/run.sh does); scripts/setup.sh installs clang and libclang-rt-14-dev")
endif()
set(MP_FUZZ_SANITIZERS address,undefined)
# -fno-sanitize=function: clang 14 cannot emit UBSan's function-type check
# for a coroutine ("Cannot represent a difference across sections"); the
# other undefined-behaviour checks stay on.
add_compile_options(-fsanitize=fuzzer-no-link,${MP_FUZZ_SANITIZERS}
  -fno-sanitize=function -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
add_link_options(-fsanitize=${MP_FUZZ_SANITIZERS})
