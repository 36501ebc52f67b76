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
#   BENCH_STORAGE    storage variants, comma-separated: sqlite, postgres (default sqlite,postgres)
#   BENCH_PROFILE    false skips the stage-by-stage profile of the pipeline (default true)
#   BENCH_ARTIFACTS  where results.json goes (default artifacts/cloud-ingest-benchmark)
#   BENCH_DOC        the report whose cloud ingest section is rewritten (default docs/benchmarks.md)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

quick=0
for argument in "$@"; do
    case "$argument" in
        --quick) quick=1 ;;
        *) echo "run.sh: unknown argument '$argument' (only --quick)" >&2; exit 2 ;;
    esac
done

default_messages=100000
[ "$quick" = 1 ] && default_messages=20000
messages="${BENCH_MESSAGES:-$default_messages}"
storage="${BENCH_STORAGE:-sqlite,postgres}"
profile="${BENCH_PROFILE:-true}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/cloud-ingest-benchmark}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"

missing=0
require() {
    if [ ! -x "$1" ]; then
        echo "run.sh: $1 is missing; Debian: apt-get install $2" >&2
        missing=1
    fi
}
require /usr/sbin/mosquitto mosquitto
require /usr/bin/mosquitto_sub mosquitto-clients
require /usr/bin/influxd influxdb
postgres_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
case ",$storage," in
    *,postgres,*) require "${postgres_bin:-/usr/lib/postgresql/15/bin}/postgres" postgresql ;;
esac
if ! command -v dotnet >/dev/null; then
    echo "run.sh: the .NET SDK is missing (see global.json for the version)" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

# The command as it reproduces this run, environment overrides included.
command_line="bash tests/Facilities.Cloud.Benchmarks/run.sh"
[ "$quick" = 1 ] && command_line="$command_line --quick"
for name in BENCH_MESSAGES BENCH_STORAGE BENCH_PROFILE; do
    if [ -n "${!name:-}" ]; then
        command_line="$name=${!name} $command_line"
    fi
done

mkdir -p "$artifacts" "$(dirname "$doc")"

echo "== building the benchmark (Release)"
dotnet build "$here/Facilities.Cloud.Benchmarks.csproj" -c Release --nologo -v quiet
benchmark="$here/bin/Release/net10.0/Facilities.Cloud.Benchmarks"

# The cloud runs with the .NET runtime's defaults, as its service does.
for name in $(env | sed -n 's/^\(DOTNET_[A-Za-z0-9_]*\)=.*/\1/p'); do
    [ "$name" = DOTNET_ROOT ] || unset "$name"
done

version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
postgres_version="unknown"
if [ -n "$postgres_bin" ] && [ -x "$postgres_bin/postgres" ]; then
    postgres_version="$("$postgres_bin/postgres" --version | sed 's/^postgres (PostgreSQL) //')"
fi
os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

echo "== $messages messages, storage: $storage"
"$benchmark" ingest --messages "$messages" --storage "$storage" --profile "$profile" --out "$artifacts/results.json"

echo "== writing $doc"
"$benchmark" report --results "$artifacts/results.json" --doc "$doc" --command "$command_line" \
    --nproc "$(nproc)" --cpu "${cpu:-unknown}" --dotnet-sdk "$(dotnet --version)" --os "$os" \
    --mosquitto-version "$(version_of mosquitto) (Debian package)" --influx-version "InfluxDB $(version_of influxdb) (Debian package)" \
    --postgres-version "$postgres_version"
