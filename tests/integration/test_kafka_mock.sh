#!/bin/bash
# tools/mamori-kafka-mock: a real Kafka endpoint that kcat can produce to and
# consume from, brokers that go down and come back, injected request errors,
# and bad arguments refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka-lib.sh"
need_kafka_tools

"$KAFKA_MOCK" --topic x:0 </dev/null >/dev/null 2>"$WORK/e"
check_eq "0 partitions refused" 2 $?
"$KAFKA_MOCK" --bogus </dev/null >/dev/null 2>&1
check_eq "unknown option refused" 2 $?

mock_start --topic t1:3 --topic t2 || { fail "mock start"; finish; }
case "$KAFKA_BOOTSTRAP" in
127.0.0.1:*|localhost:*) ok "bootstrap on loopback ($KAFKA_BOOTSTRAP)" ;;
*) fail "bootstrap not on loopback: $KAFKA_BOOTSTRAP" ;;
esac

# the topics exist with their partition counts
meta=$(timeout 20 "$KCAT" -L -b "$KAFKA_BOOTSTRAP" 2>&1)
check_eq "t1 has 3 partitions" 1 "$(echo "$meta" | grep -c 'topic "t1" with 3 partitions')"
check_eq "t2 has 1 partition" 1 "$(echo "$meta" | grep -c 'topic "t2" with 1 partitions')"

seq 1 50 | timeout 20 "$KCAT" -P -b "$KAFKA_BOOTSTRAP" -t t2 2>"$WORK/p.err"
check_eq "50 messages round trip in order" "$(seq 1 50 | tr '\n' ' ')" \
	"$(consume t2 | tr '\n' ' ')"

check_eq "down 1 answered" ok "$(mock_cmd 'down 1')"
# nothing can be produced while the only broker is down
echo late | timeout 20 "$KCAT" -P -b "$KAFKA_BOOTSTRAP" -t t2 \
	-X message.timeout.ms=1500 >/dev/null 2>&1
check_eq "up 1 answered" ok "$(mock_cmd 'up 1')"
check_eq "message sent while down was not delivered" 50 "$(consume t2 | wc -l)"

check_eq "err answered" ok "$(mock_cmd 'err * 0 7 1')"
echo after | timeout 20 "$KCAT" -P -b "$KAFKA_BOOTSTRAP" -t t2 2>/dev/null
check_eq "produce retried past an injected error" after "$(consume t2 | tail -n 1)"

case "$(mock_cmd 'down 7')" in error*) ok "unknown broker refused" ;;
*) fail "down 7 accepted" ;; esac
case "$(mock_cmd 'frob')" in error*) ok "bad command refused" ;;
*) fail "bad command accepted" ;; esac
check_eq "quit answered" ok "$(mock_cmd quit)"
wait "$MOCK_PID"
check_eq "quit exits 0" 0 $?
MOCK_PID=
finish
