#!/bin/bash
# suricata-verify conformance: run the shared/corpus/suricata-verify subset
# through the sensor and fail when fewer cases pass than sv-floor.txt says.
# Env: MAMORI (sensor), TOP_SRCDIR (repo root), MAMORI_CORPUS (corpus root),
# SV_JOBS (parallel cases, default 2).
here=$(cd "$(dirname "$0")" && pwd)
: "${TOP_SRCDIR:=$(cd "$here/../.." && pwd)}"
export TOP_SRCDIR
: "${MAMORI:=$TOP_SRCDIR/build/mamori}"
export MAMORI
: "${MAMORI_CORPUS:=$TOP_SRCDIR/../shared/corpus}"
export MAMORI_CORPUS
if [ ! -f "$MAMORI_CORPUS/suricata-verify/manifest.jsonl" ]; then
	echo "SKIP: no suricata-verify corpus under $MAMORI_CORPUS"
	exit 77
fi
python3 "$here/sv_runner.py" --jobs "${SV_JOBS:-2}" --floor "$here/sv-floor.txt"
exit $?
