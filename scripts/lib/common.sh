# shellcheck shell=bash
# Shared by scripts/run, scripts/test and scripts/bench: install what is
# missing, build. Source it; it changes nothing by itself.

CAV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages the project needs: to build, to test against real Linux
# peers, and to benchmark.
CAV_BUILD_PKGS="gcc meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev libnuma-dev libbsd-dev libcmocka-dev libpcap-dev"
CAV_TEST_PKGS="iproute2 iputils-ping iputils-arping ethtool socat curl netcat-openbsd nginx iperf3 tcpdump tshark python3 python3-scapy traceroute procps util-linux hping3"
CAV_BENCH_PKGS="valgrind"

cav_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
cav_die() { cav_log "error: $*"; exit 1; }

cav_need_root() {
	[ "$(id -u)" -eq 0 ] || cav_die "run as root (DPDK ports and network namespaces need it)"
}

# cav_install PKG... : apt-get install those not yet installed (idempotent).
cav_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	cav_log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer no, without a prompt.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
	apt-get update -qq </dev/null || cav_die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null ||
		cav_die "apt-get install ${missing[*]} failed"
}

# cav_build DIR [MESON OPTIONS...] : configure once, then build.
cav_build() {
	local dir=$1
	shift
	if [ ! -f "$CAV_ROOT/$dir/build.ninja" ]; then
		meson setup "$CAV_ROOT/$dir" "$CAV_ROOT" "$@" >"$CAV_ROOT/$dir.setup.log" 2>&1 ||
			{ cat "$CAV_ROOT/$dir.setup.log" >&2; cav_die "meson setup $dir failed"; }
		rm -f "$CAV_ROOT/$dir.setup.log"
	fi
	ninja -C "$CAV_ROOT/$dir" >"$CAV_ROOT/$dir.log" 2>&1 ||
		{ tail -n 60 "$CAV_ROOT/$dir.log" >&2; cav_die "build $dir failed (log: $dir.log)"; }
	rm -f "$CAV_ROOT/$dir.log"
}
