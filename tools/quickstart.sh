#!/bin/bash
# quickstart.sh: the README's two commands.
#
#   tools/quickstart.sh sample   install what is missing, build, run the
#                                sensor on a generated sample capture, then
#                                again publishing its alerts to a local mock
#                                Kafka broker and reading them back with kcat
#   tools/quickstart.sh test     install what is missing, build, and run every
#                                test (what CI runs)
#
# Run as root on Debian 12 (apt-get installs the build and test dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

PACKAGES="build-essential autoconf automake libtool pkg-config
	libpcap-dev libhyperscan-dev librdkafka-dev libyaml-dev libcunit1-dev
	libpcre2-dev libssl-dev zlib1g-dev libdpdk-dev tshark python3 procps time kcat"

install_deps() {
	local missing=()
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "== installing: ${missing[*]}"
		if [ "$(id -u)" -ne 0 ]; then
			echo "quickstart: run as root to install ${missing[*]}" >&2
			exit 1
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

# Out-of-tree builds: build/ for the sensor and tests, build-san/ for the
# sanitizer run (a configured source tree would block VPATH builds).
build() {
	echo "== building in build/"
	[ -x configure ] || autoreconf -fi
	mkdir -p build
	# DPDK is required here, so CI runs tests/integration/test_dpdk.sh
	# rather than skipping it
	[ -f build/Makefile ] || (cd build && ../configure -q --enable-werror --enable-dpdk=yes)
	make -C build -j"$JOBS"
}

# The same run publishing its alerts to Kafka: tools/mamori-kafka-mock (a
# real Kafka protocol endpoint on loopback) as the broker, kcat reading
# them back.
kafka_sample() {
	local fifo out boot n
	fifo=$(mktemp -u "${TMPDIR:-/tmp}/mamori-mock-XXXXXX")
	out=$fifo.out
	mkfifo "$fifo"
	build/tools/mamori-kafka-mock --topic mamori-alerts:3 <"$fifo" >"$out" &
	local mock=$!
	exec 8>"$fifo"
	for _ in $(seq 50); do
		boot=$(sed -n '1s/^bootstrap=//p' "$out")
		[ -n "$boot" ] && break
		sleep 0.1
	done
	rm -rf sample-out/kafka-spool
	echo "== build/mamori-kafka-mock is a Kafka broker on $boot"
	echo "== build/mamori -r build/sample.pcap -S rules/mamori.rules -l sample-out -q --kafka $boot --kafka-topic mamori-alerts"
	build/mamori -r build/sample.pcap -S rules/mamori.rules -l sample-out -q \
		--kafka "$boot" --kafka-topic mamori-alerts
	echo "== kcat -C -b $boot -t mamori-alerts -o beginning -e"
	n=$(timeout 30 kcat -C -q -b "$boot" -t mamori-alerts -o beginning -e -f '%h %s\n' |
		tee >(cut -c1-150 >&2) | wc -l)
	echo "== $n alerts read back from Kafka"
	exec 8>&-
	wait "$mock"
	rm -f "$fifo" "$out"
}

case "${1:-}" in
sample)
	install_deps
	build
	make -s -C build sample
	mkdir -p sample-out
	rm -f sample-out/eve.json
	echo "== build/mamori -r build/sample.pcap -S rules/mamori.rules -l sample-out"
	build/mamori -r build/sample.pcap -S rules/mamori.rules -l sample-out
	echo "== alerts in sample-out/eve.json: $(grep -c '"event_type":"alert"' sample-out/eve.json)"
	echo "== last stats record of sample-out/eve.json (decoder):"
	tail -n 1 sample-out/eve.json | python3 -c 'import json,sys; d=json.load(sys.stdin)["stats"]; print(json.dumps({k: d["decoder"][k] for k in ("pkts","bytes","ipv4","ipv6","tcp","udp","invalid")}), json.dumps({k: d["flow"][k] for k in ("total","tcp","udp")}))'
	kafka_sample
	;;
test)
	install_deps
	build
	echo "== make check"
	make -C build -j"$JOBS" check || { tail -100 build/test-suite.log; exit 1; }
	echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	rm -rf build-san && mkdir build-san
	(cd build-san && ../configure -q --enable-werror --enable-sanitizers &&
	 make -j"$JOBS" check TESTS='$(check_PROGRAMS)' ||
	 { tail -100 test-suite.log; exit 1; })
	echo "== make distcheck"
	MAMORI_CORPUS="$TOP/../shared/corpus" make -C build -j"$JOBS" distcheck \
		DISTCHECK_CONFIGURE_FLAGS="--enable-werror --enable-dpdk=yes" >build/distcheck.log 2>&1 ||
		{ tail -60 build/distcheck.log; exit 1; }
	tail -4 build/distcheck.log
	# one closing line over both test runs (test programs and scripts)
	pass=$(sed -n 's/^# PASS: *//p' build/test-suite.log build-san/test-suite.log |
		awk '{ s += $1 } END { print s + 0 }')
	fail=$(sed -n 's/^# \(FAIL\|ERROR\|XPASS\): *//p' build/test-suite.log \
		build-san/test-suite.log | awk '{ s += $1 } END { print s + 0 }')
	echo "== all tests passed"
	echo "$pass passed, $fail failed"
	;;
*)
	echo "usage: $0 sample|test" >&2
	exit 2
	;;
esac
