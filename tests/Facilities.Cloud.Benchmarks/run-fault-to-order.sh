#!/usr/bin/env bash
# The fault-to-work-order benchmark (issue 6): firmware-sim's sample estate polled by the gateway through a real
# Mosquitto into the cloud; a trapped passenger injected into one elevator after another; p50/p99 from the register
# change to the committed work order. Written to its section of docs/benchmarks.md (between the
# cloud-fault-to-order-benchmark markers; the rest of the file is left as it is).
#
#   bash tests/Facilities.Cloud.Benchmarks/run-fault-to-order.sh            # 40 faults, SQLite and PostgreSQL
#   bash tests/Facilities.Cloud.Benchmarks/run-fault-to-order.sh --quick    # 8 faults each (about two minutes)
#
# Optional environment:
#   BENCH_FAULTS     faults per storage variant, one elevator each (default 40, --quick 8; at most 56)
#   BENCH_STORAGE    storage variants, comma-separated: sqlite, postgres (default sqlite,postgres)
#   BENCH_ARTIFACTS  where results.json goes (default artifacts/cloud-fault-to-order)
#   BENCH_DOC        the report whose section is rewritten (default docs/benchmarks.md)
set -euo pipefail

script=run-fault-to-order.sh
storage="${BENCH_STORAGE:-sqlite,postgres}"
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
parse_quick "$@"

default_faults=40
[ "$quick" = 1 ] && default_faults=8
faults="${BENCH_FAULTS:-$default_faults}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/cloud-fault-to-order}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"

require /usr/sbin/mosquitto mosquitto
require_common
reproducing_command BENCH_FAULTS BENCH_STORAGE
mkdir -p "$artifacts" "$(dirname "$doc")"
build_benchmark

echo "== $faults faults per variant, storage: $storage"
"$benchmark" fault-to-order --faults "$faults" --storage "$storage" --out "$artifacts/results.json"

echo "== writing $doc"
"$benchmark" fault-to-order-report --results "$artifacts/results.json" --doc "$doc" --command "$command_line" \
    --nproc "$(nproc)" --cpu "${cpu:-unknown}" --dotnet-sdk "$(dotnet --version)" --os "$os" \
    --mosquitto-version "$(version_of mosquitto) (Debian package)" --postgres-version "$postgres_version"
