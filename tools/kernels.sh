# shellcheck shell=bash
# The kernels tbstream supports, pinned.  Bump on purpose, in one place.
TBSTREAM_KERNELS=(6.1.0-56-amd64 6.12.117+deb12-amd64)
# The kernel whose headers tools/install-deps installs system-wide.
LINUX_HOST_HEADERS_KVER=6.1.0-56-amd64
LINUX_SOURCE_SERIES=6.1
LINUX_SOURCE_VERSION=6.1.192-2

kernel_pkg_version() {
	case "$1" in
	6.1.0-56-amd64) echo 6.1.192-2 ;;
	6.12.117+deb12-amd64) echo 6.12.117-1~deb12u1 ;;
	*) echo "unknown kernel $1" >&2; return 1 ;;
	esac
}

# Where a kernel's Kbuild tree is.
kernel_build_dir() {
	if [ "$1" = "$LINUX_HOST_HEADERS_KVER" ]; then
		echo "/usr/src/linux-headers-$1"
	else
		echo "$TBSTREAM_CACHE/$1/headers"
	fi
}

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
: "${TBSTREAM_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/tbstream}"
export TBSTREAM_CACHE
