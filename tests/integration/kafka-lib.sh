# kafka-lib.sh: the mock Kafka cluster and kcat for the integration tests
# (sourced after lib.sh). mock_start runs tools/mamori-kafka-mock with its
# stdin on a FIFO held open on fd 9, so commands can be sent while it runs;
# each command is answered by one line, which mock_cmd waits for.
: "${KAFKA_MOCK:=./tools/mamori-kafka-mock}"
: "${KCAT:=$(command -v kcat || command -v kafkacat || true)}"

MOCK_PID=
MOCK_OUT=
KAFKA_BOOTSTRAP=

# mock_start ARGS...: start the cluster; sets KAFKA_BOOTSTRAP
mock_start() {
	MOCK_OUT=$WORK/mock.out
	rm -f "$WORK/mock.in" "$MOCK_OUT"
	mkfifo "$WORK/mock.in"
	"$KAFKA_MOCK" "$@" <"$WORK/mock.in" >"$MOCK_OUT" 2>"$WORK/mock.err" &
	MOCK_PID=$!
	exec 9>"$WORK/mock.in"
	for _ in $(seq 100); do
		KAFKA_BOOTSTRAP=$(sed -n '1s/^bootstrap=//p' "$MOCK_OUT" 2>/dev/null)
		[ -n "$KAFKA_BOOTSTRAP" ] && return 0
		kill -0 "$MOCK_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "mock cluster did not start: $(cat "$WORK/mock.err")"
	return 1
}

# mock_cmd LINE: send a command, wait for its answer, print it
mock_cmd() {
	local before
	before=$(wc -l <"$MOCK_OUT")
	echo "$1" >&9
	for _ in $(seq 100); do
		if [ "$(wc -l <"$MOCK_OUT")" -gt "$before" ]; then
			sed -n "$((before + 1))p" "$MOCK_OUT"
			return 0
		fi
		sleep 0.05
	done
	echo "no answer"
	return 1
}

mock_stop() {
	[ -n "$MOCK_PID" ] || return 0
	exec 9>&-
	wait "$MOCK_PID" 2>/dev/null
	MOCK_PID=
}

# consume TOPIC [FORMAT]: every message on the topic, all partitions, then exit
consume() {
	timeout 30 "$KCAT" -C -q -b "$KAFKA_BOOTSTRAP" -t "$1" -o beginning -e \
		-f "${2:-%s\n}" 2>"$WORK/kcat.err"
}

need_kafka_tools() {
	if [ -z "$KCAT" ]; then
		echo "kcat not installed (apt-get install kcat)"
		fail "kcat is needed for the Kafka tests"
		finish
	fi
	if [ ! -x "$KAFKA_MOCK" ]; then
		fail "$KAFKA_MOCK not built"
		finish
	fi
}
