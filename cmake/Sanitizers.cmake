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
