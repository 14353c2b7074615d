#!/bin/sh
# The DNS and TLS parsers against tshark over every real capture in the
# corpus, through tools/app-dump (which feeds UDP port 53 datagrams and
# naively ordered TCP payloads to the parsers). Per capture, as multisets
# (order and frame numbers left out: tshark reports a message on the frame
# that completes it, and so do we, but retransmissions differ):
#   DNS query names of requests on UDP port 53 (dns.qry.name);
#   ClientHello SNI and JA3 string and hash (ja3_full, ja3);
#   ServerHello JA3S string and hash;
#   the first certificate's subject and issuer, as `openssl x509
#   -nameopt sep_comma_plus_space,sname` prints the DER tshark extracts
#   (the same format as Suricata's for the attribute types in the corpus).
. "$(dirname "$0")/lib.sh"
: "${APP_DUMP:=./tools/app-dump}"

if [ ! -d "$MAMORI_CORPUS/pcaps" ]; then
	echo "corpus not found at $MAMORI_CORPUS (set MAMORI_CORPUS)"
	fail "corpus present"
	finish
fi
if [ -z "$TSHARK" ] || ! command -v openssl >/dev/null; then
	fail "tshark and openssl are required"
	finish
fi

files=$(find -L "$MAMORI_CORPUS/pcaps" -type f \
	\( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
for f in $files; do
	name=${f#"$MAMORI_CORPUS"/}
	if ! "$APP_DUMP" "$f" >"$WORK/ours" 2>"$WORK/err"; then
		fail "$name: app-dump failed: $(cat "$WORK/err")"
		continue
	fi
	"$TSHARK" -r "$f" -Y 'dns.flags.response == 0 && udp.port == 53' \
		-T fields -e dns.qry.name -E occurrence=a -E aggregator='	' \
		2>/dev/null >"$WORK/dns"
	"$TSHARK" -r "$f" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11' -T fields \
		-E occurrence=f -e tls.handshake.extensions_server_name \
		-e tls.handshake.ja3_full -e tls.handshake.ja3 \
		-e tls.handshake.ja3s_full -e tls.handshake.ja3s \
		-e tls.handshake.certificate 2>/dev/null >"$WORK/tls"
	out=$(python3 - "$WORK" "$name" <<'PY'
import collections, re, subprocess, sys
work, name = sys.argv[1], sys.argv[2]
ours = collections.defaultdict(collections.Counter)
for line in open(f"{work}/ours", encoding="utf-8", errors="surrogateescape"):
    f = line.rstrip("\n").split("\t")
    ours[f[0]][tuple(f[1:])] += 1
def rows(fn):
    return [l.rstrip("\n").split("\t") for l in open(f"{work}/{fn}") if l.strip()]
theirs = collections.defaultdict(collections.Counter)
# tshark shows the bytes of a name that are not UTF-8 as U+FFFD, we as
# Suricata does ("\xNN"): compare through tshark's form
def as_tshark(v):
    b = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
               v.encode("utf-8", "surrogateescape"))
    return fffd(b.decode("utf-8", "replace"))
# the two differ in how many U+FFFD a broken sequence becomes: one per run
def fffd(v):
    return re.sub("\ufffd+", "\ufffd", v)
ours["dns.query"] = collections.Counter(
    {(as_tshark(k[0]),): n for k, n in ours["dns.query"].items()})
for r in rows("dns"):
    for q in r:
        if q:
            theirs["dns.query"][(fffd(q),)] += 1
for r in rows("tls"):
    sni, full, h, sfull, sh, cert = (r + [""] * 6)[:6]
    if sni:
        theirs["tls.sni"][(sni,)] += 1
    if full:
        theirs["ja3"][(full, h)] += 1
    if sfull:
        theirs["ja3s"][(sfull, sh)] += 1
    if not cert:
        continue
    p = subprocess.run(["openssl", "x509", "-inform", "der", "-noout",
                        "-subject", "-issuer", "-nameopt",
                        "sep_comma_plus_space,sname,utf8,-esc_msb"],
                       input=bytes.fromhex(cert), capture_output=True)
    for l in p.stdout.decode("utf-8", "replace").splitlines():
        k, _, v = l.partition("=")
        theirs["tls." + k][(v,)] += 1
bad = 0
for key in ("dns.query", "tls.sni", "ja3", "ja3s", "tls.subject", "tls.issuer"):
    a, b = ours[key], theirs[key]
    n = sum(b.values())
    if a == b:
        print(f"ok {key} {n}")
        continue
    bad += 1
    miss = list((b - a).items())[:3]
    extra = list((a - b).items())[:3]
    print(f"FAIL {key}: tshark {n}, ours {sum(a.values())}; missing {miss}; extra {extra}")
PY
)
	if echo "$out" | grep -q '^FAIL'; then
		fail "$name: $(echo "$out" | grep '^FAIL' | tr '\n' ' ')"
	else
		ok "$name: $(echo "$out" | awk '$3 != 0 { printf "%s %s  ", $2, $3 }')"
	fi
done
finish
