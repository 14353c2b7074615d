#!/bin/sh
# Build the libFuzzer targets with clang into build-fuzz/ (from the source
# root, or with TOP_SRCDIR set). Each target compiles only the sources it
# exercises, with AddressSanitizer and UndefinedBehaviorSanitizer.
#   tools/fuzz/build.sh && build-fuzz/fuzz_stream -max_total_time=60
#   (and build-fuzz/fuzz_defrag)
set -eu
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${OUT_DIR:-build-fuzz}
cc=${CC_FUZZ:-clang}
mkdir -p "$out"
$cc -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/include" "$top/tools/fuzz/fuzz_stream.c" "$top/src/flow/stream.c" \
	"$top/src/util/log.c" -o "$out/fuzz_stream"
echo "built $out/fuzz_stream"
$cc -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/include" "$top/tools/fuzz/fuzz_defrag.c" "$top/src/decode/defrag.c" \
	"$top/src/decode/decode.c" "$top/src/decode/ethernet.c" "$top/src/decode/ipv4.c" \
	"$top/src/decode/ipv6.c" "$top/src/decode/tcp.c" "$top/src/decode/udp.c" \
	"$top/src/decode/icmp.c" "$top/src/decode/tunnel.c" "$top/src/decode/checksum.c" \
	-o "$out/fuzz_defrag"
echo "built $out/fuzz_defrag"
