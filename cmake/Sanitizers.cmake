# -DTBSTREAM_SANITIZE=ON: the whole userspace build and its tests run under
# ASan + UBSan, and any UBSan report aborts the test that caused it.
if(TBSTREAM_SANITIZE)
	set(_san -fsanitize=address,undefined -fno-sanitize-recover=all
		-fno-omit-frame-pointer)
	add_compile_options(${_san})
	add_link_options(${_san})
	# _FORTIFY_SOURCE and ASan step on each other's interceptors.
	add_compile_options(-U_FORTIFY_SOURCE)
endif()

# -DTBSTREAM_FUZZ=ON (clang only): every userspace object gets libFuzzer's
# coverage hooks besides ASan + UBSan, so the fuzz targets of tests/fuzz/ see
# the daemon's and tbstreamctl's code paths; the targets link the fuzzer.
if(TBSTREAM_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
		message(FATAL_ERROR "TBSTREAM_FUZZ needs clang (-DCMAKE_C_COMPILER=clang)")
	endif()
	set(_fuzz -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
		-fno-omit-frame-pointer)
	add_compile_options(${_fuzz} -U_FORTIFY_SOURCE)
	add_link_options(-fsanitize=address,undefined)
endif()
