#!/usr/bin/env bash
# The gateway benchmark (issue 4): serial efficiency against the line's physical limit, Modbus TCP at scale (200
# devices, gateway CPU) and footprint (resident memory polling the sample estate, native and arm64 under qemu), in one
# run, written to the gateway section of docs/benchmarks.md (between the gateway-benchmark markers; the rest of the
# file is left as it is).
#
#   bash tests/Facilities.Gateway.Benchmarks/run.sh            # full run: about 40 minutes (two 10-minute footprints)
#   bash tests/Facilities.Gateway.Benchmarks/run.sh --quick    # short windows and 1-minute footprints: about 8 minutes
#   bash tests/Facilities.Gateway.Benchmarks/run.sh --minutes 3  # footprint duration in minutes (default 10)
#
# The gateway runs as its own process with the Environment= settings of its systemd unit
# (gateway/Facilities.Gateway/deploy/facilities-gateway.service); firmware-sim and Mosquitto run in processes of their own.
# The footprint part needs 127.0.0.1 ports 15020-15023 and /tmp/facilities-sim (the sample estate's fixed places).
# Optional environment:
#   GATEWAY_BENCH_SECONDS        seconds counted per measurement window (default 60; --quick 15)
#   GATEWAY_BENCH_WARMUP         serial warm-up seconds before each window (default 10; --quick 5)
#   GATEWAY_BENCH_TCP_WARMUP     TCP-at-scale warm-up seconds (default 30; --quick 15)
#   GATEWAY_BENCH_ARM64          1 to run the arm64 footprint under qemu (default: 1 if qemu-aarch64-static exists), 0 to skip
#   GATEWAY_BENCH_ARM64_MINUTES  its duration (default: the same as the native footprint)
#   GATEWAY_BENCH_ARTIFACTS      builds and JSON results (default artifacts/gateway-benchmark)
#   GATEWAY_BENCH_DOC            the report whose gateway section is rewritten (default docs/benchmarks.md)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

quick=false
minutes=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=true; shift ;;
        --minutes) minutes="$2"; shift 2 ;;
        *) echo "run.sh: unknown argument '$1' (use --quick and/or --minutes N)" >&2; exit 2 ;;
    esac
done

if [ "$quick" = true ]; then
    seconds="${GATEWAY_BENCH_SECONDS:-15}"; warmup="${GATEWAY_BENCH_WARMUP:-5}"; tcp_warmup="${GATEWAY_BENCH_TCP_WARMUP:-15}"
    minutes="${minutes:-1}"
else
    seconds="${GATEWAY_BENCH_SECONDS:-60}"; warmup="${GATEWAY_BENCH_WARMUP:-10}"; tcp_warmup="${GATEWAY_BENCH_TCP_WARMUP:-30}"
    minutes="${minutes:-10}"
fi
qemu=/usr/bin/qemu-aarch64-static
arm64="${GATEWAY_BENCH_ARM64:-$([ -x "$qemu" ] && echo 1 || echo 0)}"
arm64_minutes="${GATEWAY_BENCH_ARM64_MINUTES:-$minutes}"
artifacts="${GATEWAY_BENCH_ARTIFACTS:-$root/artifacts/gateway-benchmark}"
doc="${GATEWAY_BENCH_DOC:-$root/docs/benchmarks.md}"
service="gateway/Facilities.Gateway/deploy/facilities-gateway.service"

missing=0
for tool in dotnet gcc clang socat; do
    if ! command -v "$tool" >/dev/null; then
        echo "run.sh: $tool is missing (Debian: apt-get install ${tool/dotnet/dotnet-sdk (see global.json)})" >&2
        missing=1
    fi
done
if [ ! -x /usr/sbin/mosquitto ]; then
    echo "run.sh: /usr/sbin/mosquitto is missing (Debian: apt-get install mosquitto)" >&2
    missing=1
fi
if [ "$arm64" = 1 ] && [ ! -x "$qemu" ]; then
    echo "run.sh: $qemu is missing (apt-get install qemu-user-static and the arm64 libraries, see .ci/run), or set GATEWAY_BENCH_ARM64=0" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

# The command as it reproduces this run, options and environment overrides included.
command_line="bash tests/Facilities.Gateway.Benchmarks/run.sh"
[ "$quick" = true ] && command_line="$command_line --quick"
default_minutes=10
[ "$quick" = true ] && default_minutes=1
[ "$minutes" = "$default_minutes" ] || command_line="$command_line --minutes $minutes"
for name in GATEWAY_BENCH_SECONDS GATEWAY_BENCH_WARMUP GATEWAY_BENCH_TCP_WARMUP GATEWAY_BENCH_ARM64 GATEWAY_BENCH_ARM64_MINUTES; do
    if [ -n "${!name:-}" ]; then
        command_line="$name=${!name} $command_line"
    fi
done

mkdir -p "$artifacts" "$(dirname "$doc")"
rm -f "$artifacts"/*.json

echo "== building the reference RTU master into $artifacts"
gcc -O2 -Wall -Wextra -Werror -o "$artifacts/rtu_master" "$here/reference/rtu_master.c"

echo "== building the gateway, firmware-sim and the benchmark (Release)"
dotnet build firmware-sim/Facilities.FirmwareSim/Facilities.FirmwareSim.csproj -c Release --nologo -v quiet -clp:NoSummary
dotnet build "$here/Facilities.Gateway.Benchmarks.csproj" -c Release --nologo -v quiet -clp:NoSummary
echo "== publishing the gateway as deployed (Native AOT, linux-x64) into $artifacts/x64"
dotnet publish gateway/Facilities.Gateway -c Release -r linux-x64 -o "$artifacts/x64" --nologo -v quiet -clp:NoSummary
gateway="$artifacts/x64/facilities-gateway"
simulator="$root/firmware-sim/Facilities.FirmwareSim/bin/Release/net10.0/facilities-sim.dll"
benchmark="$here/bin/Release/net10.0/Facilities.Gateway.Benchmarks"
if [ "$arm64" = 1 ]; then
    echo "== publishing the gateway for linux-arm64 (Native AOT, cross-compiled) into $artifacts/arm64"
    dotnet publish gateway/Facilities.Gateway -c Release -r linux-arm64 -o "$artifacts/arm64" --nologo -v quiet -clp:NoSummary
fi

# The benchmark's own process runs with the runtime defaults; the gateway gets its unit's environment explicitly.
for name in $(env | sed -n 's/^\(DOTNET_[A-Za-z0-9_]*\)=.*/\1/p'); do
    [ "$name" = DOTNET_ROOT ] || unset "$name"
done
common=(--service "$service" --simulator "$simulator" --clock-ticks "$(getconf CLK_TCK)")

echo "== serial efficiency: 19200 and 115200 baud, ${warmup} s warm-up + ${seconds} s per window"
"$benchmark" serial "${common[@]}" --gateway "$gateway" --reference "$artifacts/rtu_master" \
    --warmup "$warmup" --seconds "$seconds" --out "$artifacts/serial.json"

echo "== Modbus TCP at scale: 200 devices, ${tcp_warmup} s warm-up + ${seconds} s"
"$benchmark" tcp "${common[@]}" --gateway "$gateway" --warmup "$tcp_warmup" --seconds "$seconds" --out "$artifacts/tcp.json"

echo "== footprint, native: the sample estate for $minutes min"
"$benchmark" footprint "${common[@]}" --gateway "$gateway" --label native --site "$root/gateway/Facilities.Gateway/sites/sample-estate.json" \
    --minutes "$minutes" --interval 10 --out "$artifacts/footprint-native.json"

footprints="$artifacts/footprint-native.json"
if [ "$arm64" = 1 ]; then
    echo "== footprint, linux-arm64 under qemu-user: the sample estate for $arm64_minutes min"
    "$benchmark" footprint "${common[@]}" --gateway "$artifacts/arm64/facilities-gateway" --qemu "$qemu" --label "arm64 under qemu" \
        --site "$root/gateway/Facilities.Gateway/sites/sample-estate.json" --minutes "$arm64_minutes" --interval 10 --out "$artifacts/footprint-arm64.json"
    footprints="$footprints,$artifacts/footprint-arm64.json"
fi

os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

echo "== writing the gateway section of $doc"
"$benchmark" report --serial "$artifacts/serial.json" --tcp "$artifacts/tcp.json" --footprint "$footprints" \
    --doc "$doc" --command "$command_line" --quick "$quick" --nproc "$(nproc)" --cpu "${cpu:-unknown}" \
    --dotnet-sdk "$(dotnet --version)" --os "$os" --service-name "$service"
