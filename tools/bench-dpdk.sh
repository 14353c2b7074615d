#!/bin/bash
# bench-dpdk.sh: the `make bench-dpdk` driver. The sensor captures through
# DPDK from a net_pcap vdev with infinite_rx=1 (the vdev replays its file
# from mbufs held in memory, endlessly), so capture is never the
# bottleneck, with one RX queue per worker, each polled by its worker on
# its own EAL lcore (workers > 1: the capture is split by a symmetric flow
# hash into one rx_pcap stream per queue, as symmetric RSS would).
#
#   1. 64-byte frames, no rules: Mpps per worker core;
#   2. the generated IMIX mix with gen-rules' attack strings planted and
#      BENCH_DPDK_RULES generated rules: Gbps per worker core.
#
# Each run lasts BENCH_DPDK_SECONDS and is stopped with SIGTERM. Per worker
# the sensor prints at exit
#   mamori: worker N: cpu_s=C busy_s=S pkts=P bytes=B
# "pipeline" rates are P / S: S is the time spent on bursts that brought
# packets (decode, flow, detect), without rte_eth_rx_burst itself; "core"
# rates are P / C, the worker thread's whole CPU time, rx_burst included.
# S is wall time: on a shared machine it also counts the time others took
# the worker's core, and the pipeline rate drops; C does not.
# With net_pcap rx_burst is expensive (the vdev copies every frame into a
# fresh mbuf, work a NIC does by DMA), so the core rate understates what a
# worker does on a real port and the pipeline rate overstates it slightly
# (a real PMD's rx_burst still costs the core something per packet: it
# reads descriptors and refills them with fresh mbufs).
# A benchmark, not a test: it exits non-zero only when a run fails.
#
# Environment:
#   MAMORI, GEN_TRAFFIC, GEN_RULES, SPLIT   the tools (make bench-dpdk sets them)
#   BENCH_DPDK_WORKERS   worker counts (default "1"; each needs a CPU for
#                        its lcore besides the main one)
#   BENCH_DPDK_SECONDS   length of each run (default 5)
#   BENCH_DPDK_PACKETS   frames per capture (default 20000; infinite_rx holds
#                        the whole file in mbufs)
#   BENCH_DPDK_RULES     generated rules for the second part (default 30000;
#                        0 skips it)
#   BENCH_DPDK_MEM       EAL memory in MB (default 2048)
#   BENCH_DIR            capture and rule cache (default ${TMPDIR:-/tmp}/mamori-bench-UID)
set -u

: "${MAMORI:=./mamori}"
: "${GEN_TRAFFIC:=./tools/gen-traffic}"
HERE=$(cd "$(dirname "$0")" && pwd)
: "${GEN_RULES:=$HERE/gen-rules}"
: "${SPLIT:=$HERE/pcap-split-flows}"
: "${BENCH_DPDK_WORKERS:=1}"
: "${BENCH_DPDK_SECONDS:=5}"
: "${BENCH_DPDK_PACKETS:=20000}"
: "${BENCH_DPDK_RULES:=30000}"
: "${BENCH_DPDK_MEM:=2048}"
: "${BENCH_DIR:=${TMPDIR:-/tmp}/mamori-bench-$(id -u)}"

die() { echo "bench-dpdk: $*" >&2; exit 1; }
[ -x "$MAMORI" ] || die "no sensor at MAMORI=$MAMORI"
[ -x "$GEN_TRAFFIC" ] || die "no generator at GEN_TRAFFIC=$GEN_TRAFFIC"
"$MAMORI" --dpdk -T >/dev/null 2>&1 || die "$MAMORI has no DPDK support (configure --enable-dpdk)"
mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
RUNS=$(mktemp -d "${TMPDIR:-/tmp}/mamori-bench-dpdk-XXXXXX")
trap 'rm -rf "$RUNS"' EXIT
FAILED=0
NCPU=$(nproc)

# capture NAME GEN_OPTS... -> a cached capture's path
capture() {
	local name=$1 key file
	shift
	key=$({ cat "$GEN_TRAFFIC"; echo "$*"; } | cksum | cut -d' ' -f1)
	file=$BENCH_DIR/dpdk-$name-$key.pcap
	if [ ! -s "$file" ]; then
		"$GEN_TRAFFIC" -o "$file.tmp" "$@" 2>"$file.summary" ||
			{ cat "$file.summary" >&2; rm -f "$file.tmp"; return 1; }
		mv "$file.tmp" "$file"
	fi
	echo "$file"
}

# frames in a classic pcap
frames() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
pos = n = 0
pos = 24
while pos + 16 <= len(d):
    pos += 16 + struct.unpack_from("<I", d, pos + 8)[0]
    n += 1
print(n)
PY
}

# run NAME CAPTURE WORKERS [SENSOR ARGS...]: prints one result line
run() {
	local name=$1 cap=$2 w=$3 vdev i n pool out pid
	shift 3
	out=$RUNS/$name-$w
	mkdir -p "$out"
	vdev="net_pcap0"
	if [ "$w" -gt 1 ]; then
		python3 "$SPLIT" "$cap" "$w" "$out/q" || return 1
		for ((i = 0; i < w; i++)); do vdev="$vdev,rx_pcap=$out/q$i.pcap"; done
	else
		vdev="$vdev,rx_pcap=$cap"
	fi
	vdev="$vdev,infinite_rx=1"
	# every frame of every queue's file sits in an mbuf, plus the rings
	n=$(frames "$cap")
	pool=1
	while [ "$pool" -le $((n + w * 2048 + 4096)) ]; do pool=$((pool * 2)); done
	pool=$((pool - 1))
	"$MAMORI" --dpdk -v -l "$out" --workers "$w" --set dpdk.mempool-size=$pool \
		--set detect.hs-cache-dir="$BENCH_DIR/hs-cache" "$@" -- \
		--no-huge --no-pci --no-shconf -m "$BENCH_DPDK_MEM" \
		--file-prefix="mamori-bench-$$" --log-level=lib.eal:error \
		"--lcores=0@0,$(for ((i = 1; i <= w; i++)); do
			printf '%s%d@%d' "$([ $i -gt 1 ] && echo ,)" "$i" $((i % NCPU)); done)" \
		--vdev="$vdev" >"$out/log" 2>&1 &
	pid=$!
	# rules take a while to build: time the run from the first packet
	for ((i = 0; i < 600; i++)); do
		grep -q "a queue each" "$out/log" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	sleep "$BENCH_DPDK_SECONDS"
	kill -TERM $pid 2>/dev/null
	if ! wait $pid; then
		echo "bench-dpdk: $name with $w workers failed:" >&2
		tail -n 20 "$out/log" >&2
		FAILED=1
		return 1
	fi
	python3 - "$name" "$w" "$out/log" "$out/eve.json" <<'PY'
import json, re, sys
name, w, log, eve = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [tuple(map(float, m.groups())) for m in re.finditer(
    r"worker \d+: cpu_s=([\d.]+) busy_s=([\d.]+) pkts=(\d+) bytes=(\d+)", open(log).read())]
cpu = sum(r[0] for r in rows); busy = sum(r[1] for r in rows)
pk = sum(r[2] for r in rows); by = sum(r[3] for r in rows)
stats, alerts = {}, 0
for line in open(eve):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        stats = rec["stats"]
    elif rec.get("event_type") == "alert":
        alerts += 1
cap = stats.get("capture", {})
drops = sum(cap.get(k, 0) for k in ("imissed", "rx_nombuf", "kernel_drops"))
print("%-10s %7d %12.0f %9.2f %9.2f %9.2f %9.2f %8d %7d" % (
    name, w, pk, pk / busy / 1e6 if busy else 0, pk / cpu / 1e6 if cpu else 0,
    8 * by / busy / 1e9 if busy else 0, 8 * by / cpu / 1e9 if cpu else 0,
    stats.get("detect", {}).get("alert", alerts), drops))
PY
}

echo "bench-dpdk: net_pcap infinite_rx, $BENCH_DPDK_SECONDS s a run, $NCPU CPUs"
echo "bench-dpdk: pipeline = packets over the time spent on non-empty bursts; core = over the worker's CPU time"
printf '%-10s %7s %12s %9s %9s %9s %9s %8s %7s\n' run workers packets \
	"Mpps/pipe" "Mpps/core" "Gbps/pipe" "Gbps/core" alerts drops
c64=$(capture 64 --seed 1 --flows $((BENCH_DPDK_PACKETS / 400 < 50 ? 50 : BENCH_DPDK_PACKETS / 400)) \
	--packets "$BENCH_DPDK_PACKETS" --pkt-size 64) || die "the generator failed"
for w in $BENCH_DPDK_WORKERS; do
	run 64B-norule "$c64" "$w"
done
if [ "$BENCH_DPDK_RULES" != 0 ]; then
	[ -f "$GEN_RULES" ] || die "no rule generator at GEN_RULES=$GEN_RULES"
	plants=()
	i=0
	flows=$((BENCH_DPDK_PACKETS / 400 < 50 ? 50 : BENCH_DPDK_PACKETS / 400))
	while IFS= read -r pat; do
		plants+=(--plant "$pat@$(((i * 37) % flows)):$((100 + i * 13))")
		i=$((i + 1))
	done < <(python3 "$GEN_RULES" --print-plants)
	cmix=$(capture imix --seed 1 --flows "$flows" --packets "$BENCH_DPDK_PACKETS" \
		--pkt-size imix "${plants[@]}") || die "the generator failed"
	rules=$BENCH_DIR/rules-dpdk-$BENCH_DPDK_RULES.rules
	[ -s "$rules" ] || python3 "$GEN_RULES" -n "$BENCH_DPDK_RULES" --seed 1 -o "$rules" ||
		die "gen-rules failed"
	for w in $BENCH_DPDK_WORKERS; do
		run "imix-$((BENCH_DPDK_RULES / 1000))k" "$cmix" "$w" -S "$rules" \
			--set classification-file="$HERE/../rules/classification.config"
	done
fi
exit $FAILED
