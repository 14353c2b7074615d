#!/usr/bin/env python3
"""sv_runner.py: run the suricata-verify subset (shared/corpus/suricata-verify)
through mamori and compare alert counts per signature id.

Semantics (per the corpus README): every sid in `expected` must alert exactly
that many times; `expected_at_least` gives lower bounds; `expected_total_alerts`
(when the test states it) must equal the total number of alerts; sids in
`silent_sids` must never alert.  Alerts of other sids (e.g. `unchecked_sids`)
are not checked, as suricata-verify does not check them either.

Suricata args that mamori rejects (exit 2 on `mamori -T ARG`) make the case a
FAIL with the reason; such cases are not run unless --try-unsupported is given
(then they run without those args, still counted as FAIL, for diagnosis).

Output: `PASS tier/name` or `FAIL tier/name: reasons`, per-tier totals, then
the last line `N passed, M failed`.  Python 3 standard library only.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
TOP = os.path.abspath(TOP)


def corpus_dir():
    base = os.environ.get("MAMORI_CORPUS") or os.path.join(TOP, "..", "shared", "corpus")
    return os.path.join(os.path.abspath(base), "suricata-verify")


def mamori_path():
    p = os.environ.get("MAMORI") or os.path.join(TOP, "build", "mamori")
    return os.path.abspath(p)


def split_args(args):
    """Manifest args are strings like '-k none' or '--set a.b=c'."""
    out = []
    for a in args:
        out.extend(shlex.split(a))
    return out


def group_args(argv):
    """Group a flat argv into option units: ['-k','none'] / ['--set','x=y'] / ['-v']."""
    units, i = [], 0
    takes_value = {"-k", "--set", "-c", "--runmode"}
    while i < len(argv):
        a = argv[i]
        if a in takes_value and i + 1 < len(argv):
            units.append([a, argv[i + 1]])
            i += 2
        else:
            units.append([a])
            i += 1
    return units


_support_cache = {}


def arg_supported(mamori, unit):
    """True unless `mamori -T UNIT` exits 2 (bad usage/config)."""
    key = tuple(unit)
    if key not in _support_cache:
        try:
            r = subprocess.run([mamori, "-T", "-q"] + list(unit),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=20)
            _support_cache[key] = (r.returncode != 2,
                                   r.stderr.decode(errors="replace").strip().splitlines()[-1:]
                                   if r.returncode == 2 else [])
        except (OSError, subprocess.TimeoutExpired) as e:
            _support_cache[key] = (False, [str(e)])
    return _support_cache[key]


def count_alerts(eve):
    counts = collections.Counter()
    if not os.path.exists(eve):
        return counts, 0
    bad = 0
    with open(eve, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if rec.get("event_type") == "alert":
                sid = (rec.get("alert") or {}).get("signature_id")
                counts[str(sid)] += 1
    return counts, bad


def run_case(rec, cdir, mamori, timeout, try_unsupported):
    name = "%s/%s" % (rec["tier"], rec["test"])
    reasons = []
    argv = split_args(rec.get("args") or [])
    units = group_args(argv)
    run_units, unsupported = [], []
    for u in units:
        if u == ["-v"] or (u[0] == "--runmode"):
            continue  # verbosity / runmode: no effect on results
        ok, msg = arg_supported(mamori, u)
        if ok:
            run_units.append(u)
        else:
            unsupported.append(" ".join(u) + (" (%s)" % msg[0] if msg else ""))
    if unsupported:
        reasons.append("unsupported arg: " + "; ".join(unsupported))
        if not try_unsupported:
            return name, False, reasons, 0.0
    pcap = os.path.join(cdir, rec["pcap"])
    rules = os.path.join(cdir, rec["rules"])
    tmp = tempfile.mkdtemp(prefix="sv-")
    try:
        cmd = [mamori, "-r", pcap, "-S", rules, "-l", tmp, "-q",
               "--set", "default-rule-path=" + os.path.join(TOP, "rules"),
               "--set", "classification-file=" + os.path.join(TOP, "rules", "classification.config")]
        # The corpus has no per-test `vars` (all null); Suricata's default
        # HOME_NET/EXTERNAL_NET equal mamori's, so no override is needed.
        for k, v in ((rec.get("vars") or {}).get("address-groups") or {}).items():
            cmd += ["--set", "vars.address-groups.%s=%s" % (k, v)]
        for k, v in ((rec.get("vars") or {}).get("port-groups") or {}).items():
            cmd += ["--set", "vars.port-groups.%s=%s" % (k, v)]
        for u in run_units:
            cmd += u
        import time
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            reasons.append("timeout after %ss" % timeout)
            return name, False, reasons, time.monotonic() - t0
        dt = time.monotonic() - t0
        if r.returncode != 0:
            err = r.stderr.decode(errors="replace").strip().splitlines()
            reasons.append("mamori exit %d%s" % (r.returncode, (": " + err[-1]) if err else ""))
            return name, False, reasons, dt
        counts, bad = count_alerts(os.path.join(tmp, "eve.json"))
        if bad:
            reasons.append("%d unparsable eve.json lines" % bad)
        for sid, n in sorted(rec.get("expected", {}).items(), key=lambda kv: int(kv[0])):
            got = counts.get(str(sid), 0)
            if got != n:
                reasons.append("sid %s expected %d got %d" % (sid, n, got))
        for sid, n in sorted((rec.get("expected_at_least") or {}).items(), key=lambda kv: int(kv[0])):
            got = counts.get(str(sid), 0)
            if got < n:
                reasons.append("sid %s expected >=%d got %d" % (sid, n, got))
        for sid in rec.get("silent_sids") or []:
            if counts.get(str(sid), 0):
                reasons.append("silent sid %s alerted %d" % (sid, counts[str(sid)]))
        total = rec.get("expected_total_alerts")
        if total is not None and sum(counts.values()) != total:
            reasons.append("total alerts expected %d got %d" % (total, sum(counts.values())))
        return name, not reasons, reasons, dt
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--tier", action="append", help="only this tier (repeatable)")
    ap.add_argument("--case", action="append", help="only this test name (repeatable)")
    ap.add_argument("--floor", help="file with the minimum pass count; exit 1 below it")
    ap.add_argument("--list-failures", action="store_true",
                    help="print only FAIL lines (plus totals)")
    ap.add_argument("--timeout", type=float, default=20.0, help="per-case seconds")
    ap.add_argument("--try-unsupported", action="store_true",
                    help="run cases with unsupported args anyway (still FAIL)")
    o = ap.parse_args()

    cdir = corpus_dir()
    manifest = os.path.join(cdir, "manifest.jsonl")
    mamori = mamori_path()
    if not os.path.exists(manifest):
        print("sv_runner: no corpus manifest at %s" % manifest, file=sys.stderr)
        return 77 if not o.floor else 1
    if not os.access(mamori, os.X_OK):
        print("sv_runner: no sensor at %s (set MAMORI)" % mamori, file=sys.stderr)
        return 1
    recs = []
    with open(manifest) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    if o.tier:
        recs = [r for r in recs if r["tier"] in o.tier]
    if o.case:
        recs = [r for r in recs if r["test"] in o.case
                or "%s/%s" % (r["tier"], r["test"]) in o.case]

    # warm the arg-support cache serially (avoids duplicate probes)
    for r in recs:
        for u in group_args(split_args(r.get("args") or [])):
            if u != ["-v"] and u[0] != "--runmode":
                arg_supported(mamori, u)

    results = [None] * len(recs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, o.jobs)) as ex:
        futs = {ex.submit(run_case, r, cdir, mamori, o.timeout, o.try_unsupported): i
                for i, r in enumerate(recs)}
        for fu in concurrent.futures.as_completed(futs):
            i = futs[fu]
            try:
                results[i] = fu.result()
            except Exception as e:  # a runner bug must not hide other results
                r = recs[i]
                results[i] = ("%s/%s" % (r["tier"], r["test"]), False,
                              ["runner error: %r" % e], 0.0)

    tiers = collections.OrderedDict()
    passed = failed = 0
    for name, ok, reasons, _dt in results:
        tier = name.split("/", 1)[0]
        t = tiers.setdefault(tier, [0, 0])
        if ok:
            passed += 1
            t[0] += 1
            if not o.list_failures:
                print("PASS %s" % name)
        else:
            failed += 1
            t[1] += 1
            print("FAIL %s: %s" % (name, "; ".join(reasons)))
    for tier, (p, fl) in tiers.items():
        print("tier %s: %d passed, %d failed" % (tier, p, fl))
    print("%d passed, %d failed" % (passed, failed))
    if o.floor:
        with open(o.floor) as f:
            floor = int(f.read().split()[0])
        if passed < floor:
            print("sv_runner: %d passed is below the floor of %d (%s)"
                  % (passed, floor, o.floor), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
