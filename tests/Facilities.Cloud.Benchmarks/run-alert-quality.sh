#!/usr/bin/env bash
# The alert-quality month (issue 15): the sample estate's 72 device models in virtual time (January in Beijing, traffic
# by hour, evening charging, AED self-tests), every fault of every kind injected several times on a seeded, labelled
# schedule, read through the gateway's decode and change filter into the cloud's rules and alert lifecycle. Writes
# docs/alert-quality.md (per rule: false alerts, missed faults, latency against the deadline, pages per incident) and
# its line in docs/benchmarks.md (between the alert-quality markers). Needs only the .NET SDK; target under 2 minutes.
#
#   bash tests/Facilities.Cloud.Benchmarks/run-alert-quality.sh            # 30 days, every fault 3 times
#   bash tests/Facilities.Cloud.Benchmarks/run-alert-quality.sh --quick    # 3 days, every fault once (what CI runs)
#
# Optional environment:
#   BENCH_DAYS      simulated days (default 30, --quick 3)
#   BENCH_REPEATS   injections of each fault (default 3, --quick 1)
#   BENCH_SEED      the schedule's and the estate's seed (default 20260105)
#   BENCH_DOC       the report (default docs/alert-quality.md); BENCH_SUMMARY the benchmarks page (default docs/benchmarks.md)
set -euo pipefail

script=run-alert-quality.sh
storage=""
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
parse_quick "$@"

days="${BENCH_DAYS:-30}"
repeats="${BENCH_REPEATS:-3}"
if [ "$quick" = 1 ]; then
    days="${BENCH_DAYS:-3}"
    repeats="${BENCH_REPEATS:-1}"
fi
seed="${BENCH_SEED:-20260105}"
doc="${BENCH_DOC:-$root/docs/alert-quality.md}"
summary="${BENCH_SUMMARY:-$root/docs/benchmarks.md}"

require_common
reproducing_command BENCH_DAYS BENCH_REPEATS BENCH_SEED
build_benchmark

echo "== alert-quality month: $days days, every fault $repeats times"
"$benchmark" alert-quality --days "$days" --repeats "$repeats" --seed "$seed" --doc "$doc" --benchmarks "$summary" --command "$command_line"
