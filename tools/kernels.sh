# shellcheck shell=bash
# The kernels tbstream supports, pinned.  Bump on purpose, in one place.
TBSTREAM_KERNELS=(6.1.0-56-amd64 6.12.117+deb12-amd64 7.2.13+deb14-amd64)
# The kernel whose headers tools/install-deps installs system-wide.
LINUX_HOST_HEADERS_KVER=6.1.0-56-amd64
LINUX_SOURCE_SERIES=6.1
LINUX_SOURCE_VERSION=6.1.192-2
# The debug kernel (tools/build-debug-kernel): that same source, built with
# tools/debug-kernel.config (KASAN, lockdep, kmemleak, UBSAN...).  Not in
# TBSTREAM_KERNELS: it is built, not fetched, and runs its own CTest label.
TBSTREAM_DEBUG_KERNEL=${LINUX_HOST_HEADERS_KVER%-amd64}-debug

kernel_pkg_version() {
	case "$1" in
	6.1.0-56-amd64) echo 6.1.192-2 ;;
	6.12.117+deb12-amd64) echo 6.12.117-1~deb12u1 ;;
	7.2.13+deb14-amd64) echo 7.2.13-1 ;;
	"$TBSTREAM_DEBUG_KERNEL") echo "$LINUX_SOURCE_VERSION" ;;
	*) echo "unknown kernel $1" >&2; return 1 ;;
	esac
}

# Kernels whose headers want a newer compiler than Debian 12's are built in
# the pinned sid chroot (tools/sid-chroot); the others on the host.
kernel_in_chroot() {
	case "$1" in
	7.*) return 0 ;;
	*) return 1 ;;
	esac
}

# The Debian suite a kernel's packages come from.
kernel_suite() {
	if kernel_in_chroot "$1"; then echo sid; else echo bookworm; fi
}

# The debug kernel's cache key: what it is built from (the source package,
# the config fragment, the script that builds it), so an edit to any of them
# builds a new kernel beside the old one instead of reusing a stale one.
debug_kernel_key() {
	local t
	t=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	{
		echo "linux-source-$LINUX_SOURCE_SERIES $LINUX_SOURCE_VERSION"
		cat "$t/debug-kernel.config" "$t/build-debug-kernel"
	} | sha256sum | cut -c1-12
}

# Where a kernel's cache is: vmlinux, image/lib/modules/KVER, stamps.
# TBSTREAM_DEBUG_KERNEL_DIR names a debug kernel built elsewhere (the same
# layout), e.g. one being iterated on by hand.
kernel_cache_dir() {
	if [ "$1" = "$TBSTREAM_DEBUG_KERNEL" ] && [ -n "${TBSTREAM_DEBUG_KERNEL_DIR:-}" ]; then
		echo "$TBSTREAM_DEBUG_KERNEL_DIR"
	elif [ "$1" = "$TBSTREAM_DEBUG_KERNEL" ]; then
		echo "$TBSTREAM_CACHE/$1-$(debug_kernel_key)"
	else
		echo "$TBSTREAM_CACHE/$1"
	fi
}

# Where a kernel's Kbuild tree is (for a chroot kernel: its path inside the
# chroot, which tools/sid-chroot --run sees at /).
kernel_build_dir() {
	if kernel_in_chroot "$1"; then
		echo "/usr/src/linux-headers-$1"
	elif [ "$1" = "$LINUX_HOST_HEADERS_KVER" ]; then
		echo "/usr/src/linux-headers-$1"
	else
		echo "$(kernel_cache_dir "$1")/headers"
	fi
}

# Download one Debian package at an exact version into the cache's debs/,
# unless a version of it is already there.
download_deb() { # package version
	mkdir -p "$TBSTREAM_CACHE/debs"
	(
		cd "$TBSTREAM_CACHE/debs"
		ls "${1}_"*.deb >/dev/null 2>&1 && exit 0
		apt-get download -q "$1=$2" >/dev/null 2>&1 || {
			apt-get -o DPkg::Lock::Timeout=600 update -qq
			apt-get download -q "$1=$2"
		}
	)
}

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
: "${TBSTREAM_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/tbstream}"
export TBSTREAM_CACHE

# apt-get/apt-cache against Debian sid through a private configuration in the
# cache: the host's own sources and package state are never touched.
sid_apt() { # apt-get|apt-cache ARGS...
	local a=$TBSTREAM_CACHE/apt-sid tool=$1
	shift
	if [ ! -f "$a/sources.list" ]; then
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/parts"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
			>"$a/sources.list"
	fi
	"$tool" -q -o Dir::Etc::SourceList="$a/sources.list" \
		-o Dir::Etc::SourceParts="$a/parts" -o Dir::State::Lists="$a/lists" \
		-o Dir::Cache="$a/cache" -o Dir::State::status=/dev/null \
		-o Acquire::Languages=none "$@"
}
