#!/usr/bin/env python3
"""Check a privacy-profiled Kafka topic against eve.json.

usage: privacy_check.py EVE_JSON KCAT_DUMP HOME_NETS MAP_OUT [MAP_IN]
KCAT_DUMP: kcat -f '%s\\n'. HOME_NETS: comma-separated CIDRs that the
profile pseudonymises. Checks that every eve.json alert arrived, without
payload fields, with addresses inside HOME_NETS replaced (the same address
always by the same pseudonym, prefixes preserved: two addresses sharing k
leading bits have pseudonyms sharing exactly k) and addresses outside
left as they are, and everything else unchanged. Writes the address map
to MAP_OUT; with MAP_IN, checks it agrees (stable across restarts).
"""
import ipaddress
import json
import sys

eve_path, dump, nets, map_out = sys.argv[1:5]
map_in = sys.argv[5] if len(sys.argv) > 5 else None
nets = [ipaddress.ip_network(n) for n in nets.split(",")]
bad = 0


def check(ok, what):
    global bad
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        bad += 1


def ident(r):
    return (r["flow_id"], r["timestamp"], r["alert"]["signature_id"])


eve = {}
for line in open(eve_path):
    r = json.loads(line)
    if r.get("event_type") == "alert":
        eve[ident(r)] = r
got = {}
for line in open(dump):
    line = line.strip()
    if line:
        r = json.loads(line)
        got[ident(r)] = r

check(set(eve) == set(got), "every alert arrived (%d in eve.json, %d on the topic)" % (len(eve), len(got)))
with_payload = sum(1 for r in got.values()
                   if "payload" in r or "payload_printable" in r or "stream" in r)
check(with_payload == 0, "no payload fields (%d with)" % with_payload)
eve_payload = sum(1 for r in eve.values() if "payload" in r)
check(eve_payload > 0, "eve.json itself has payloads (%d)" % eve_payload)

mapping = {}
inside_n = outside_n = wrong = inconsistent = other = 0
for k, e in eve.items():
    g = got.get(k)
    if g is None:
        continue
    for f in ("src_ip", "dest_ip"):
        a = ipaddress.ip_address(e[f])
        if any(a in n for n in nets):
            inside_n += 1
            if g[f] == e[f]:
                wrong += 1
            if mapping.setdefault(e[f], g[f]) != g[f]:
                inconsistent += 1
        else:
            outside_n += 1
            if g[f] != e[f]:
                wrong += 1
    rest_e = {x: y for x, y in e.items()
              if x not in ("src_ip", "dest_ip", "payload", "payload_printable", "stream")}
    rest_g = {x: y for x, y in g.items() if x not in ("src_ip", "dest_ip")}
    if rest_e != rest_g:
        other += 1
check(inside_n > 0 and outside_n > 0, "addresses inside (%d) and outside (%d) the networks" % (inside_n, outside_n))
check(wrong == 0, "inside pseudonymised, outside untouched (%d wrong)" % wrong)
check(inconsistent == 0, "one pseudonym per address (%d not)" % inconsistent)
check(other == 0, "every other field unchanged (%d records differ)" % other)


def common(a, b):
    x = int(ipaddress.ip_address(a)) ^ int(ipaddress.ip_address(b))
    bits = 32 if ipaddress.ip_address(a).version == 4 else 128
    return bits - x.bit_length()


pairs = broken = 0
keys = sorted(mapping)
for i in range(len(keys)):
    for j in range(i + 1, min(len(keys), i + 40)):
        a, b = keys[i], keys[j]
        if ipaddress.ip_address(a).version != ipaddress.ip_address(b).version:
            continue
        pairs += 1
        if common(a, b) != common(mapping[a], mapping[b]):
            broken += 1
check(pairs > 0 and broken == 0, "prefixes preserved (%d pairs, %d broken)" % (pairs, broken))
json.dump(mapping, open(map_out, "w"))
if map_in:
    old = json.load(open(map_in))
    shared = [a for a in mapping if a in old]
    differ = sum(1 for a in shared if old[a] != mapping[a])
    check(shared and differ == 0, "stable across restarts (%d addresses, %d differ)" % (len(shared), differ))
sys.exit(1 if bad else 0)
