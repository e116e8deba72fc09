# Strict warnings for everything built by CMake (userspace only: kernel/ is
# built by Kbuild with the kernel's own W=1 set).
set(TBSTREAM_WARNING_FLAGS
	-Wall -Wextra
	-Wformat=2
	-Wshadow -Wpointer-arith -Wcast-align -Wwrite-strings
	-Wmissing-prototypes -Wstrict-prototypes -Wold-style-definition
	-Wundef -Wvla -Wnull-dereference -Wimplicit-fallthrough
	-Wdate-time -Wnested-externs -Wredundant-decls
	-Wno-unused-parameter -Wno-missing-field-initializers
	-fno-common -fstack-protector-strong -D_FORTIFY_SOURCE=2)
# GCC's format length checks; clang (the fuzz build) has no such options.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
	list(APPEND TBSTREAM_WARNING_FLAGS -Wformat-overflow=2 -Wformat-truncation=2)
endif()
if(TBSTREAM_WERROR)
	list(APPEND TBSTREAM_WARNING_FLAGS -Werror)
endif()
add_compile_options(${TBSTREAM_WARNING_FLAGS})
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
	set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
