#!/usr/bin/env bash
# Bad configs are reported as FILE:LINE: reason with exit 2, and nothing is
# started: no control socket, no EAL runtime directory.
. "$(dirname "$0")/lib.sh"

check_bad() { # NAME EXPECTED-MESSAGE ; config on stdin
	local f=$T_DIR/$1.conf out rc
	cat >"$f"
	for mode in --check run; do
		if [ "$mode" = --check ]; then
			out=$("$CAVALRYD" --check -c "$f" 2>&1) && rc=0 || rc=$?
		else
			out=$("$CAVALRYD" -c "$f" 2>&1) && rc=0 || rc=$?
		fi
		assert_eq 2 "$rc" "$1 ($mode): exit status"
		assert_contains "$out" "$2" "$1 ($mode): message"
	done
	[ ! -e "$T_DIR/ctl.sock" ] || fail "$1: control socket was created"
	log "$1: $out"
}

check_bad unknown_key "$T_DIR/unknown_key.conf:4: unknown key 'wrokers' in [daemon]" <<CONF
[port p]
device = net_null0
[daemon]
wrokers = 2
control_socket = $T_DIR/ctl.sock
CONF

check_bad bad_cidr "$T_DIR/bad_cidr.conf:4: address: '198.18.0.1/33' is not an IPv4 CIDR" <<CONF
[daemon]
control_socket = $T_DIR/ctl.sock
[port p]
address = 198.18.0.1/33
device = net_null0
CONF

check_bad out_of_range "$T_DIR/out_of_range.conf:3: mtu: '70000' is not an integer in 576..9000" <<CONF
[port p]
device = net_null0
mtu = 70000
CONF

out=$("$CAVALRYD" -c "$T_DIR/missing.conf" 2>&1) && rc=0 || rc=$?
assert_eq 2 "$rc" "missing file: exit status"
assert_contains "$out" "$T_DIR/missing.conf:0: cannot open: No such file or directory" "missing file"
log "missing: $out"

# No runtime directory for any of these prefixes (EAL never started).
ls -d /var/run/dpdk/cavt-"$T_NAME"-* 2>/dev/null && fail "EAL runtime directory created"

# A valid config passes --check without touching devices.
cav_conf "$T_DIR/good.conf" <<CONF
[port p]
device = net_af_packet0,iface=does-not-exist0
address = 198.18.0.1/24
CONF
out=$("$CAVALRYD" --check -c "$T_DIR/good.conf" 2>&1) || fail "--check on a valid config: $out"
assert_contains "$out" "OK (1 port(s), 1 worker(s))" "--check output"
echo "PASS: $T_NAME"
