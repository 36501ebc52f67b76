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

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

quick=0
for argument in "$@"; do
    case "$argument" in
        --quick) quick=1 ;;
        *) echo "run-fault-to-order.sh: unknown argument '$argument' (only --quick)" >&2; exit 2 ;;
    esac
done

default_faults=40
[ "$quick" = 1 ] && default_faults=8
faults="${BENCH_FAULTS:-$default_faults}"
storage="${BENCH_STORAGE:-sqlite,postgres}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/cloud-fault-to-order}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"

missing=0
require() {
    if [ ! -x "$1" ]; then
        echo "run-fault-to-order.sh: $1 is missing; Debian: apt-get install $2" >&2
        missing=1
    fi
}
require /usr/sbin/mosquitto mosquitto
postgres_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
case ",$storage," in
    *,postgres,*) require "${postgres_bin:-/usr/lib/postgresql/15/bin}/postgres" postgresql ;;
esac
if ! command -v dotnet >/dev/null; then
    echo "run-fault-to-order.sh: the .NET SDK is missing (see global.json for the version)" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

command_line="bash tests/Facilities.Cloud.Benchmarks/run-fault-to-order.sh"
[ "$quick" = 1 ] && command_line="$command_line --quick"
for name in BENCH_FAULTS BENCH_STORAGE; do
    if [ -n "${!name:-}" ]; then
        command_line="$name=${!name} $command_line"
    fi
done

mkdir -p "$artifacts" "$(dirname "$doc")"

echo "== building the benchmark (Release)"
dotnet build "$here/Facilities.Cloud.Benchmarks.csproj" -c Release --nologo -v quiet
benchmark="$here/bin/Release/net10.0/Facilities.Cloud.Benchmarks"

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

echo "== $faults faults per variant, storage: $storage"
"$benchmark" fault-to-order --faults "$faults" --storage "$storage" --out "$artifacts/results.json"

echo "== writing $doc"
"$benchmark" fault-to-order-report --results "$artifacts/results.json" --doc "$doc" --command "$command_line" \
    --nproc "$(nproc)" --cpu "${cpu:-unknown}" --dotnet-sdk "$(dotnet --version)" --os "$os" \
    --mosquitto-version "$(version_of mosquitto) (Debian package)" --postgres-version "$postgres_version"
