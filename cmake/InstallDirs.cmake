# Where `cmake --install` puts things. Included right after project().
#
# tbstream is a system service: the unit's ExecStart=, the daemon's compiled-in
# vendor policy directory, the udev rule's helper, the D-Bus activation and
# policy files and the polkit actions only work together when they are where
# systemd, udev, dbus-daemon and polkitd look. Those read /usr (and /etc), not
# /usr/local, so the default prefix is /usr, as systemd's and bolt's own
# builds default to, and every directory follows the one prefix: a single tree,
# not files scattered over /usr/local, /lib and /usr.

# CMake's own default (/usr/local) is replaced only when nobody chose one.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
	set(CMAKE_INSTALL_PREFIX /usr CACHE PATH
		"Install path prefix (tbstream's default: /usr, where the system's daemons look)" FORCE)
endif()

# The system directories, relative to the prefix unless set to an absolute path
# (packagers: -DTBSTREAM_SYSTEMDUNITDIR=/lib/systemd/system and so on).
# distributions' pkg-config files are not asked: they answer with absolute
# paths of the distribution's own layout (Debian 12's systemd.pc says
# /lib/systemd/system), which would take a /usr install out of /usr and an
# /opt install into /lib.
set(_tbstream_system_dirs
	TBSTREAM_SYSTEMDUNITDIR "lib/systemd/system" "systemd system unit directory"
	TBSTREAM_UDEVDIR "lib/udev" "udev directory (helpers, rules in rules.d/)"
	TBSTREAM_DBUS_POLICY_DIR "share/dbus-1/system.d" "D-Bus system bus policy"
	TBSTREAM_DBUS_SYSTEM_SERVICES_DIR "share/dbus-1/system-services" "D-Bus system activation files"
	TBSTREAM_DBUS_INTERFACES_DIR "share/dbus-1/interfaces" "D-Bus interface XML"
	TBSTREAM_POLKIT_ACTIONS_DIR "share/polkit-1/actions" "polkit action files"
	TBSTREAM_INITRAMFS_HOOKS_DIR "share/initramfs-tools/hooks" "initramfs-tools hook directory"
	TBSTREAM_DRACUT_MODULES_DIR "lib/dracut/modules.d" "dracut module directory"
	TBSTREAM_BASH_COMPLETION_DIR "share/bash-completion/completions" "bash completion scripts")

# A build tree configured by an older tbstream cached /usr/local and absolute
# system directories (a split install): give it the new layout once.
# TBSTREAM_INSTALL_LAYOUT marks trees that have it; an explicit
# -DCMAKE_INSTALL_PREFIX=/usr/local given after this sticks.
if(_tbstream_reconfigure AND NOT DEFINED CACHE{TBSTREAM_INSTALL_LAYOUT})
	set(_i 0)
	list(LENGTH _tbstream_system_dirs _n)
	while(_i LESS _n)
		list(GET _tbstream_system_dirs ${_i} _var)
		unset(${_var} CACHE)
		math(EXPR _i "${_i} + 3")
	endwhile()
	unset(TBSTREAM_UDEVRULESDIR CACHE)
	if(CMAKE_INSTALL_PREFIX STREQUAL "/usr/local")
		set(CMAKE_INSTALL_PREFIX /usr CACHE PATH
			"Install path prefix (tbstream's default: /usr, where the system's daemons look)" FORCE)
	endif()
	message(NOTICE "tbstream: this build tree had the old install layout; now prefix "
		"${CMAKE_INSTALL_PREFIX} with every directory under it")
endif()
set(TBSTREAM_INSTALL_LAYOUT 2 CACHE INTERNAL "install layout of this build tree: one prefix")

include(GNUInstallDirs)

# TBSTREAM_<X> is what install() gets (relative follows the prefix, also
# `cmake --install --prefix`); TBSTREAM_FULL_<X> the absolute path, for files
# that name it and for the tests. TBSTREAM_INSTALL_ELSEWHERE: the directories
# set to absolute paths, the only ones install/staging lets out of the prefix.
set(TBSTREAM_INSTALL_ELSEWHERE)
set(_i 0)
list(LENGTH _tbstream_system_dirs _n)
while(_i LESS _n)
	list(SUBLIST _tbstream_system_dirs ${_i} 3 _e)
	list(GET _e 0 _var)
	list(GET _e 1 _def)
	list(GET _e 2 _doc)
	set(${_var} ${_def} CACHE PATH "${_doc} (relative: under the prefix)")
	if(IS_ABSOLUTE "${${_var}}")
		set(TBSTREAM_FULL_${_var} ${${_var}})
		list(APPEND TBSTREAM_INSTALL_ELSEWHERE ${${_var}})
	else()
		set(TBSTREAM_FULL_${_var} ${CMAKE_INSTALL_PREFIX}/${${_var}})
	endif()
	math(EXPR _i "${_i} + 3")
endwhile()
set(TBSTREAM_UDEVRULESDIR "" CACHE PATH "udev rules directory (empty: TBSTREAM_UDEVDIR/rules.d)")
if(NOT TBSTREAM_UDEVRULESDIR)
	set(TBSTREAM_UDEVRULESDIR ${TBSTREAM_UDEVDIR}/rules.d)
endif()
if(IS_ABSOLUTE "${TBSTREAM_UDEVRULESDIR}")
	set(TBSTREAM_FULL_TBSTREAM_UDEVRULESDIR ${TBSTREAM_UDEVRULESDIR})
	list(APPEND TBSTREAM_INSTALL_ELSEWHERE ${TBSTREAM_UDEVRULESDIR})
else()
	set(TBSTREAM_FULL_TBSTREAM_UDEVRULESDIR ${CMAKE_INSTALL_PREFIX}/${TBSTREAM_UDEVRULESDIR})
endif()

# Any other prefix is taken as given and consistently (the unit's ExecStart=,
# the vendor directory and every file follow it), but udev, dbus-daemon,
# polkitd and initramfs-tools never read /usr/local or /opt: say so rather
# than install a daemon that cannot start (README: "Building").
set(_unread)
# (systemd and dbus-daemon's activation also read /usr/local; udev finds its
# helpers in its own directory only, D-Bus policy and polkit actions only
# under /usr/share and /etc.)
foreach(_var TBSTREAM_UDEVDIR TBSTREAM_DBUS_POLICY_DIR TBSTREAM_POLKIT_ACTIONS_DIR)
	if(NOT TBSTREAM_FULL_${_var} MATCHES "^(/usr)?/lib/|^/usr/share/|^/etc/")
		list(APPEND _unread ${_var})
	endif()
endforeach()
if(_unread)
	list(JOIN _unread ", " _unread)
	message(WARNING "tbstream: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}: the "
		"unit, udev rules, D-Bus and polkit files go there too, where udev, "
		"dbus-daemon and polkitd do not look. Fine for staging; for a running "
		"system install to /usr (the default) or set ${_unread} to the system's "
		"directories.")
endif()
