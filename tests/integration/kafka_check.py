#!/usr/bin/env python3
"""Compare the alerts of an eve.json with what a Kafka topic holds.

usage: kafka_check.py EVE_JSON KCAT_DUMP [--allow-dups] [--order-info] [--type=T]
KCAT_DUMP: kcat -f '%k\\t%h\\t%s\\n' output. Checks that every record of
type T (alert) in eve.json arrived, byte for byte, exactly once (or at
least once with --allow-dups), that nothing else arrived, that each flow's
records (message key = community_id) came in eve.json's order, and that
the headers name the event type and sensor. Prints one line per finding;
exit status 1 when any check fails.
"""
import collections
import json
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
allow_dups = "--allow-dups" in sys.argv
# order is not promised across a permanent delivery failure: report only
order_info = "--order-info" in sys.argv
etype = "alert"
for a in sys.argv[1:]:
    if a.startswith("--type="):
        etype = a.split("=", 1)[1]

eve = []
for line in open(args[0], encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    if json.loads(line).get("event_type") == etype:
        eve.append(line)

msgs = []
for line in open(args[1], encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    if not line:
        continue
    key, hdrs, value = line.split("\t", 2)
    # a sink may carry several types: compare one
    if json.loads(value).get("event_type") == etype:
        msgs.append((key, hdrs, value))

bad = 0
def check(ok, what):
    global bad
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        bad += 1

want = collections.Counter(eve)
got = collections.Counter(v for _, _, v in msgs)
missing = sum((want - got).values())
extra = sum((got - want).values())
check(missing == 0, "every %s in eve.json arrived (%d records, %d missing)" % (etype, len(eve), missing))
if allow_dups:
    unknown = sum(1 for v in got if v not in want)
    check(unknown == 0, "nothing but eve.json's records arrived (%d unknown)" % unknown)
else:
    check(extra == 0, "each exactly once (%d extra)" % extra)

# per-flow order: the first arrival of each record, per key, in eve order
by_flow_eve = collections.defaultdict(list)
for line in eve:
    by_flow_eve[json.loads(line).get("community_id", "")].append(line)
by_flow_kafka = collections.defaultdict(list)
seen = set()
for key, _, value in msgs:
    if value in seen:
        continue
    seen.add(value)
    by_flow_kafka[key].append(value)
wrong_key = sum(1 for key, _, v in msgs if v in want and json.loads(v).get("community_id", "") != key)
check(wrong_key == 0, "message key is the community_id (%d wrong)" % wrong_key)
disorder = [k for k, v in by_flow_eve.items() if by_flow_kafka.get(k, []) != v]
if order_info:
    print("info: per-flow order (%d flows, %d out of order)" % (len(by_flow_eve), len(disorder)))
else:
    check(not disorder, "per-flow order kept (%d flows, %d out of order)" % (len(by_flow_eve), len(disorder)))
hdr_bad = sum(1 for _, h, _ in msgs if "event-type=%s" % etype not in h or "sensor-id=" not in h)
check(hdr_bad == 0, "headers carry event-type and sensor-id (%d without)" % hdr_bad)
sys.exit(1 if bad else 0)
