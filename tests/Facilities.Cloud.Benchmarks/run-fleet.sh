#!/usr/bin/env bash
# The fleet-size benchmark (issue 16, item 2): the idle cloud's CPU and how soon a silent device is reported, with
# 72, 2,000, 20,000 and 100,000 known devices, on SQLite and PostgreSQL. Written to its section of docs/benchmarks.md
# (between the cloud-fleet-benchmark markers; the rest of the file is left as it is).
#
#   bash tests/Facilities.Cloud.Benchmarks/run-fleet.sh            # 45 s window, 20 s silence rule (about 10 minutes)
#   bash tests/Facilities.Cloud.Benchmarks/run-fleet.sh --quick    # 25 s window, 15 s silence rule (about 6 minutes)
#
# Optional environment:
#   BENCH_SIZES      fleet sizes, comma-separated (default 72,2000,20000,100000; the first should be 72, the peer)
#   BENCH_STORAGE    storage variants, comma-separated: sqlite, postgres (default sqlite,postgres)
#   BENCH_ARTIFACTS  where results.json goes (default artifacts/cloud-fleet)
#   BENCH_DOC        the report whose section is rewritten (default docs/benchmarks.md)
set -euo pipefail

script=run-fleet.sh
storage="${BENCH_STORAGE:-sqlite,postgres}"
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
parse_quick "$@"

sizes="${BENCH_SIZES:-72,2000,20000,100000}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/cloud-fleet}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"
quick_flag=false
[ "$quick" = 1 ] && quick_flag=true

require /usr/sbin/mosquitto mosquitto
require_common
reproducing_command BENCH_SIZES BENCH_STORAGE
mkdir -p "$artifacts" "$(dirname "$doc")"
build_benchmark

echo "== fleet sizes $sizes, storage: $storage"
"$benchmark" fleet --sizes "$sizes" --storage "$storage" --quick "$quick_flag" --out "$artifacts/results.json"

echo "== writing $doc"
"$benchmark" fleet-report --results "$artifacts/results.json" --doc "$doc" --command "$command_line" \
    --nproc "$(nproc)" --cpu "${cpu:-unknown}" --dotnet-sdk "$(dotnet --version)" --os "$os" \
    --mosquitto-version "$(version_of mosquitto) (Debian package)" --postgres-version "$postgres_version"
