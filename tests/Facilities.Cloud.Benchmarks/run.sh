#!/usr/bin/env bash
# The cloud ingest benchmark (issue 5): a backlog queued in Mosquitto drained through the cloud into InfluxDB, against
# mosquitto_sub draining the same backlog from the same broker, side by side in one run; written to its section of
# docs/benchmarks.md (between the cloud-ingest-benchmark markers; the rest of the file is left as it is).
#
#   bash tests/Facilities.Cloud.Benchmarks/run.sh            # 100,000 messages, SQLite and PostgreSQL
#   bash tests/Facilities.Cloud.Benchmarks/run.sh --quick    # 20,000 messages
#
# The PostgreSQL variant is the slow one (several minutes for the full backlog on a busy 2-core machine). Optional
# environment:
#   BENCH_MESSAGES   backlog size (default 100000, --quick 20000)
#   BENCH_STORAGE    storage variants, comma-separated: sqlite, postgres, postgres-2 (two instances on PostgreSQL)
#                    (default sqlite,postgres,postgres-2)
#   BENCH_PROFILE    false skips the stage-by-stage profile of the pipeline (default true)
#   BENCH_ARTIFACTS  where results.json goes (default artifacts/cloud-ingest-benchmark)
#   BENCH_DOC        the report whose cloud ingest section is rewritten (default docs/benchmarks.md)
set -euo pipefail

script=run.sh
storage="${BENCH_STORAGE:-sqlite,postgres,postgres-2}"
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
parse_quick "$@"

default_messages=100000
[ "$quick" = 1 ] && default_messages=20000
messages="${BENCH_MESSAGES:-$default_messages}"
profile="${BENCH_PROFILE:-true}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/cloud-ingest-benchmark}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"

require /usr/sbin/mosquitto mosquitto
require /usr/bin/mosquitto_sub mosquitto-clients
require /usr/bin/influxd influxdb
require /usr/bin/socat socat
require_common
reproducing_command BENCH_MESSAGES BENCH_STORAGE BENCH_PROFILE
mkdir -p "$artifacts" "$(dirname "$doc")"
build_benchmark

echo "== $messages messages, storage: $storage"
"$benchmark" ingest --messages "$messages" --storage "$storage" --profile "$profile" --out "$artifacts/results.json"

echo "== writing $doc"
"$benchmark" report --results "$artifacts/results.json" --doc "$doc" --command "$command_line" \
    --nproc "$(nproc)" --cpu "${cpu:-unknown}" --dotnet-sdk "$(dotnet --version)" --os "$os" \
    --mosquitto-version "$(version_of mosquitto) (Debian package)" --influx-version "InfluxDB $(version_of influxdb) (Debian package)" \
    --postgres-version "$postgres_version"
