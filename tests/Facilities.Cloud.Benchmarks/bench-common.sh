# Sourced by run.sh and run-fault-to-order.sh: what both cloud benchmarks do before and around their own run.
# Expects `script` (the script's name, for messages) and `storage` (comma-separated variants) to be set by the caller.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# --quick is the only argument: sets quick=0|1.
parse_quick() {
    quick=0
    for argument in "$@"; do
        case "$argument" in
            --quick) quick=1 ;;
            *) echo "$script: unknown argument '$argument' (only --quick)" >&2; exit 2 ;;
        esac
    done
}

missing=0
require() {
    if [ ! -x "$1" ]; then
        echo "$script: $1 is missing; Debian: apt-get install $2" >&2
        missing=1
    fi
}

postgres_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

# PostgreSQL when a variant needs it, and the SDK; exits when anything required is missing.
require_common() {
    case ",$storage," in
        *,postgres,*|*,postgres-2,*) require "${postgres_bin:-/usr/lib/postgresql/15/bin}/postgres" postgresql ;;
    esac
    if ! command -v dotnet >/dev/null; then
        echo "$script: the .NET SDK is missing (see global.json for the version)" >&2
        missing=1
    fi
    [ "$missing" = 0 ] || exit 1
}

# The command as it reproduces this run, with --quick and the named environment overrides that are set.
reproducing_command() {
    command_line="bash tests/Facilities.Cloud.Benchmarks/$script"
    [ "$quick" = 1 ] && command_line="$command_line --quick"
    for name in "$@"; do
        if [ -n "${!name:-}" ]; then
            command_line="$name=${!name} $command_line"
        fi
    done
}

# Builds the benchmark; the cloud then runs with the .NET runtime's defaults, as its service does. Sets `benchmark`
# and the machine facts the reports print.
build_benchmark() {
    echo "== building the benchmark (Release)"
    dotnet build "$here/Facilities.Cloud.Benchmarks.csproj" -c Release --nologo -v quiet
    benchmark="$here/bin/Release/net10.0/Facilities.Cloud.Benchmarks"

    for name in $(env | sed -n 's/^\(DOTNET_[A-Za-z0-9_]*\)=.*/\1/p'); do
        [ "$name" = DOTNET_ROOT ] || unset "$name"
    done

    postgres_version="unknown"
    if [ -n "$postgres_bin" ] && [ -x "$postgres_bin/postgres" ]; then
        postgres_version="$("$postgres_bin/postgres" --version | sed 's/^postgres (PostgreSQL) //')"
    fi
    os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
}

version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
