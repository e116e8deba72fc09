# The `uninstall` target: undoes `cmake --install` of this build tree (README:
# "Uninstall"). What it never removes, even emptied, is the prefix and its
# standard hierarchy, which the system owns; every other directory the files
# were in goes once empty, so a DESTDIR staging tree keeps only that skeleton.
set(TBSTREAM_UNINSTALL_KEEP ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_PREFIX}/lib)
foreach(_d BINDIR SBINDIR LIBEXECDIR LIBDIR INCLUDEDIR DATAROOTDIR DATADIR MANDIR LOCALEDIR)
	list(APPEND TBSTREAM_UNINSTALL_KEEP ${CMAKE_INSTALL_FULL_${_d}})
endforeach()
foreach(_s RANGE 1 9)
	list(APPEND TBSTREAM_UNINSTALL_KEEP ${CMAKE_INSTALL_FULL_MANDIR}/man${_s})
endforeach()
list(APPEND TBSTREAM_UNINSTALL_KEEP ${CMAKE_INSTALL_FULL_DATAROOTDIR}/doc)
list(REMOVE_DUPLICATES TBSTREAM_UNINSTALL_KEEP)
configure_file(${CMAKE_CURRENT_LIST_DIR}/uninstall.cmake.in
	${PROJECT_BINARY_DIR}/cmake_uninstall.cmake @ONLY)
add_custom_target(uninstall
	COMMAND ${CMAKE_COMMAND} -P ${PROJECT_BINARY_DIR}/cmake_uninstall.cmake
	COMMENT "Removing what cmake --install installed (install_manifest.txt)"
	VERBATIM)

if(BUILD_TESTING)
	string(REPLACE ";" ":" _keep "${TBSTREAM_UNINSTALL_KEEP}")
	add_test(NAME install/uninstall
		COMMAND ${PROJECT_SOURCE_DIR}/tests/unit/test-uninstall ${PROJECT_BINARY_DIR}
			${CMAKE_INSTALL_PREFIX})
	set_tests_properties(install/uninstall PROPERTIES LABELS unit TIMEOUT 120
		ENVIRONMENT "TBSTREAM_UNINSTALL_KEEP=${_keep}")
endif()
