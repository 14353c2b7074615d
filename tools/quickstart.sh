#!/bin/bash
# quickstart.sh: the README's two commands.
#
#   tools/quickstart.sh sample   install what is missing, build, and run the
#                                sensor on a generated sample capture
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
	libpcre2-dev libdpdk-dev tshark python3 procps time"

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

build() {
	echo "== building"
	[ -x configure ] || autoreconf -fi
	[ -f Makefile ] || ./configure --enable-werror "$@"
	make -j"$JOBS"
}

case "${1:-}" in
sample)
	install_deps
	build
	make -s sample
	mkdir -p sample-out
	rm -f sample-out/eve.json
	echo "== mamori -r sample.pcap -l sample-out"
	./mamori -r sample.pcap -l sample-out
	echo "== last stats record of sample-out/eve.json (decoder):"
	tail -n 1 sample-out/eve.json | python3 -c 'import json,sys; d=json.load(sys.stdin)["stats"]; print(json.dumps({k: d["decoder"][k] for k in ("pkts","bytes","ipv4","ipv6","tcp","udp","invalid")}), json.dumps({k: d["flow"][k] for k in ("total","tcp","udp")}))'
	;;
test)
	install_deps
	build
	echo "== make check"
	make -j"$JOBS" check || { cat test-suite.log 2>/dev/null | tail -100; exit 1; }
	echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	rm -rf build-san && mkdir build-san
	(cd build-san && ../configure -q --enable-werror --enable-sanitizers &&
	 make -j"$JOBS" check TESTS='$(check_PROGRAMS)' ||
	 { cat test-suite.log | tail -100; exit 1; })
	echo "== make distcheck"
	make -j"$JOBS" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
		MAMORI_CORPUS="$TOP/../shared/corpus" >distcheck.log 2>&1 ||
		{ tail -60 distcheck.log; exit 1; }
	tail -4 distcheck.log
	echo "== all tests passed"
	;;
*)
	echo "usage: $0 sample|test" >&2
	exit 2
	;;
esac
