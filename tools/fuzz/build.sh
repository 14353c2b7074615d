#!/bin/sh
# Build the libFuzzer targets with clang into build-fuzz/ (from the source
# root, or with TOP_SRCDIR set). Each target compiles only the sources it
# exercises, with AddressSanitizer and UndefinedBehaviorSanitizer.
#   tools/fuzz/build.sh && build-fuzz/fuzz_stream -max_total_time=60
set -eu
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${OUT_DIR:-build-fuzz}
cc=${CC_FUZZ:-clang}
mkdir -p "$out"
$cc -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/include" "$top/tools/fuzz/fuzz_stream.c" "$top/src/flow/stream.c" \
	"$top/src/util/log.c" -o "$out/fuzz_stream"
echo "built $out/fuzz_stream"
