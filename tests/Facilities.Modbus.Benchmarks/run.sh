#!/usr/bin/env bash
# The Modbus benchmark: Facilities.Modbus against libmodbus, side by side in one run, written to its section of
# docs/benchmarks.md (between the modbus-benchmark markers; the rest of the file is left as it is).
#
#   bash tests/Facilities.Modbus.Benchmarks/run.sh
#
# Throughput runs twice: with the .NET runtime defaults, then with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (the
# setting docs/benchmarks.md recommends for gateway hosts). About 4 minutes with the defaults. Optional environment:
#   BENCH_SECONDS      seconds counted per throughput measurement (default 3)
#   BENCH_WARMUP       seconds of warm-up before each measurement (default 1)
#   BENCH_ROUNDS       rounds of every pairing; the median is reported (default 3)
#   BENCH_CONNECTIONS  connections of the concurrent-polling measurement (default 50)
#   BENCH_ARTIFACTS    where the C programs, JSON results and BenchmarkDotNet logs go (default artifacts/modbus-benchmark)
#   BENCH_DOC          the report whose Modbus section is rewritten (default docs/benchmarks.md)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

seconds="${BENCH_SECONDS:-3}"
warmup="${BENCH_WARMUP:-1}"
rounds="${BENCH_ROUNDS:-3}"
connections="${BENCH_CONNECTIONS:-50}"
artifacts="${BENCH_ARTIFACTS:-$root/artifacts/modbus-benchmark}"
doc="${BENCH_DOC:-$root/docs/benchmarks.md}"

missing=0
if ! command -v gcc >/dev/null; then
    echo "run.sh: gcc is missing; it builds the libmodbus reference programs (Debian: apt-get install gcc)" >&2
    missing=1
fi
if [ ! -f /usr/include/modbus/modbus.h ]; then
    echo "run.sh: libmodbus headers are missing (/usr/include/modbus/modbus.h); Debian: apt-get install libmodbus-dev" >&2
    missing=1
fi
if ! command -v dotnet >/dev/null; then
    echo "run.sh: the .NET SDK is missing (see global.json for the version)" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

# The command as it reproduces this run, environment overrides included.
command_line="bash tests/Facilities.Modbus.Benchmarks/run.sh"
for name in BENCH_SECONDS BENCH_WARMUP BENCH_ROUNDS BENCH_CONNECTIONS; do
    if [ -n "${!name:-}" ]; then
        command_line="$name=${!name} $command_line"
    fi
done

mkdir -p "$artifacts" "$(dirname "$doc")"

echo "== building the libmodbus programs into $artifacts"
for program in bench_master bench_server; do
    gcc -O2 -Wall -Wextra -Werror -I/usr/include/modbus -o "$artifacts/$program" "$here/libmodbus/$program.c" -lmodbus
done

echo "== building the .NET benchmark (Release)"
dotnet build "$here/Facilities.Modbus.Benchmarks.csproj" -c Release --nologo -v quiet
benchmark="$here/bin/Release/net10.0/Facilities.Modbus.Benchmarks"

# Our processes must see only the runtime settings under test.
for name in $(env | sed -n 's/^\(DOTNET_[A-Za-z0-9_]*\)=.*/\1/p'); do
    [ "$name" = DOTNET_ROOT ] || unset "$name"
done

throughput() {
    "$benchmark" throughput --libmodbus "$artifacts" --out "$artifacts/$1" \
        --seconds "$seconds" --warmup "$warmup" --rounds "$rounds" --connections "$connections"
}

echo "== throughput, .NET defaults: every pairing, $rounds rounds of ${warmup} s warm-up + ${seconds} s"
throughput throughput-defaults.json
echo "== throughput, inline socket completions"
DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 throughput throughput-inline.json

echo "== allocations: BenchmarkDotNet with the memory diagnoser"
"$benchmark" allocations --libmodbus "$artifacts" --artifacts "$artifacts/BenchmarkDotNet" --out "$artifacts/allocations.json"

libmodbus_version="$(sed -n 's/^#define LIBMODBUS_VERSION_STRING "\(.*\)"/\1/p' /usr/include/modbus/modbus-version.h)"
if package="$(dpkg-query -W -f='${Version}' libmodbus-dev 2>/dev/null)"; then
    libmodbus_version="$libmodbus_version (package $package)"
fi
os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

echo "== writing $doc"
"$benchmark" report --throughput "$artifacts/throughput-defaults.json,$artifacts/throughput-inline.json" --allocations "$artifacts/allocations.json" \
    --doc "$doc" --command "$command_line" --nproc "$(nproc)" --cpu "${cpu:-unknown}" \
    --dotnet-sdk "$(dotnet --version)" --libmodbus-version "$libmodbus_version" --os "$os"
