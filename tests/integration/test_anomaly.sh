#!/bin/bash
# Anomaly detectors against the real captures of ../shared/corpus/pcaps
# (MANIFEST.md says what each holds): every scan, flood, brute-force and
# DNS-tunnel capture must give the right detector's alert naming the
# attacker (src_ip), or the victim (dest_ip) for floods, with the anomaly
# object of DESIGN.md; the benign captures (and the SYN floods, for the
# per-source detectors) must give none. Skips (77) without the corpus.
. "$(dirname "$0")/lib.sh"

P=$MAMORI_CORPUS/pcaps
if [ ! -d "$P/scan" ]; then
	echo "SKIP: no corpus at $P (set MAMORI_CORPUS)"
	exit 77
fi

# anomalies FILE -> one line per alert: detector src dst update
anomalies() {
	local out=$WORK/$(basename "$1").out
	rm -rf "$out"
	if ! "$MAMORI" -r "$1" -l "$out" -q --workers 2 >"$out.log" 2>&1; then
		echo "ERROR"
		return
	fi
	python3 - "$out/eve.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert" or e["alert"]["category"] != "Anomaly":
        continue
    a = e["anomaly"]
    # the record DESIGN.md asks for
    assert a["detector"] and a["score"] >= 1 and a["threshold"] > 0, e
    assert a["window_s"] > 0 and isinstance(a["features"], dict), e
    assert "first_seen" in a and a["probes"] >= 1 and e["alert"]["gid"] == 9000, e
    print(a["detector"], e["src_ip"], e["dest_ip"], a["update"])
PY
}

# expect FILE DETECTOR FIELD(src|dst) ADDRESS [ALSO_FORBIDDEN_DETECTORS...]
expect() {
	local f=$1 det=$2 field=$3 addr=$4 lines n wrong
	shift 4
	lines=$(anomalies "$P/$f")
	if [ "$lines" = ERROR ]; then
		fail "$f: mamori failed"
		return
	fi
	if [ "$field" = src ]; then
		n=$(echo "$lines" | awk -v d="$det" -v a="$addr" '$1 == d && $2 == a' | grep -c .)
	else
		n=$(echo "$lines" | awk -v d="$det" -v a="$addr" '$1 == d && $3 == a' | grep -c .)
	fi
	if [ "$n" -ge 1 ]; then
		ok "$f: $det names $addr ($n alert(s) incl. updates)"
	else
		fail "$f: no $det alert naming $addr; got: $(echo "$lines" | sort | uniq -c | head -5 | tr '\n' ';')"
	fi
	# one episode per (entity, detector): exactly one first alert
	n=$(echo "$lines" | awk -v d="$det" '$1 == d && $4 == 0' | grep -c .)
	check_eq "$f: one $det episode" 1 "$n"
	for bad in "$@"; do
		wrong=$(echo "$lines" | awk -v d="$bad" '$1 == d' | grep -c .)
		check_eq "$f: no $bad" 0 "$wrong"
	done
}

SRCDET="scan_vertical scan_horizontal brute_force dns_tunnel dga"

# scans: the scanner
for f in nmap-tcp-syn-scan.pcap nmap-tcp-connect-scan.pcap nmap-udp-scan.pcap \
	 nmap-fin-scan.pcap nmap-null-scan.pcap nmap-xmas-scan.pcap nmap-ack-scan.pcap \
	 nmap-ip-protocol-scan.pcap nmap-version-scan.pcap; do
	expect "scan/$f" scan_vertical src 192.168.1.10 scan_horizontal syn_flood
done
expect scan/masscan-tcp-0-1000.pcap scan_vertical src 172.31.15.102 syn_flood
expect scan/masscan-udp-0-1000.pcap scan_vertical src 172.31.15.102 udp_flood
expect scan/syn-scan-1000-ports.pcapng scan_vertical src 172.16.0.8 syn_flood
expect scan/small-syn-scan-29-ports.pcap scan_vertical src 10.100.25.14
expect scan/icmp-ping-sweep.pcap scan_horizontal src 192.168.1.109 scan_vertical

# floods: the victim, and no per-source detector for the spoofed sources
expect flood/syn-flood-spoofed.pcap syn_flood dst 10.10.10.10 $SRCDET
expect flood/syn-flood-dominate-ecn-cwr.pcapng syn_flood dst 10.10.10.10 $SRCDET
expect flood/synack-reflection.pcap synack_flood dst 10.10.10.10 $SRCDET
# small-syn-flood-100 is 100 SYNs to 100 random addresses and ports (no
# victim to name, whatever MANIFEST.md says): only no false scan alerts
lines=$(anomalies "$P/flood/small-syn-flood-100.pcap")
check_eq "small-syn-flood-100: no per-source alert" 0 \
	"$(echo "$lines" | grep -cE '^(scan|brute|dns|dga)')"

# brute force: the attacker, also SSH on port 902 (known by its banner)
expect bruteforce/ssh-hydra-1-task.pcap brute_force src 240.0.1.2 syn_flood
expect bruteforce/ssh-hydra-4-tasks.pcap brute_force src 240.0.1.3 syn_flood
expect bruteforce/ssh-medusa-1-task.pcap brute_force src 240.0.2.2 syn_flood
expect bruteforce/ssh-ncrack-paranoid.pcap brute_force src 240.0.3.2 syn_flood
expect bruteforce/ssh-nmap-ssh-brute-port902.pcap brute_force src 147.32.80.40 syn_flood
expect bruteforce/ftp-password-crack.pcap brute_force src 10.234.125.254 syn_flood

# DNS tunnels: the tunnelling client
expect dns-tunnel/iodine-null-queries.pcap dns_tunnel src 10.0.2.30 dga
expect dns-tunnel/dnscat2-direct.pcap dns_tunnel src 192.168.220.56
expect dns-tunnel/dnscat2-skullseclabs.pcap dns_tunnel src 192.168.43.91
expect dns-tunnel/dns2tcp-txt-queries.pcap dns_tunnel src 172.17.0.3

# benign: nothing at all
for f in "$P"/benign/*; do
	lines=$(anomalies "$f")
	check_eq "benign/$(basename "$f"): no anomaly alert" "" "$lines"
done

# the allowlist silences a known scanner; a bad entry is refused by line
lines=$("$MAMORI" -r "$P/scan/nmap-tcp-syn-scan.pcap" \
	-l "$WORK/allow" -q --set anomaly.allowlist=x 2>&1)
rc=$?
check_eq "bad allowlist exits 2" 2 "$rc"
cat >"$WORK/allow.yaml" <<'YAML'
anomaly:
  allowlist: [192.168.1.0/28]
YAML
"$MAMORI" -c "$WORK/allow.yaml" -r "$P/scan/nmap-tcp-syn-scan.pcap" -l "$WORK/allow" -q
check_eq "allowlisted scanner: no alert" 0 \
	"$(grep -c '"Anomaly"' "$WORK/allow/eve.json")"
check_eq "stats carry anomaly counters" yes \
	"$([ "$(stats_field "$WORK/allow/eve.json" anomaly.events)" -gt 0 ] && echo yes)"

finish
