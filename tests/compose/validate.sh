#!/usr/bin/env bash
# Validates docker-compose.yml (or the file given as $1) for each of its profiles with Debian's docker-compose
# (1.29; `config` needs no Docker engine): one line per profile, then `N passed, M failed`; exits non-zero when
# any profile fails, 2 when docker-compose cannot be had.
#
# A profile passes when `docker-compose config -q` accepts it with no warning (a warning is, e.g., a variable
# without a default), and, for the services that profile starts (those without `profiles` plus its own), when
#   - no two of them publish the same host port (the single node and the `ha` load balancer, say),
#   - each `depends_on` names a service that is started too,
#   - each bind-mounted file or directory exists in the repository.
# docker-compose 1.29's `config` checks none of these three itself.
#
# Without docker-compose it is installed with apt-get when we are root (Debian package: docker-compose).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Another file may be given (tried on a changed copy, say); relative to where we were started.
compose_file=$(realpath -- "${1:-$root/docker-compose.yml}") || exit 2
cd "$root" || exit 1

# "" is the default (no profile enabled).
profiles=("" guard ha)

if ! command -v docker-compose >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "validate.sh: installing docker-compose with apt-get" >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1
        fi
    fi
    if ! command -v docker-compose >/dev/null 2>&1; then
        echo "validate.sh: docker-compose is not installed (Debian: apt-get install docker-compose, as root)" >&2
        exit 2
    fi
fi
# `--profile` came with docker-compose 1.28.
if [[ $(docker-compose --help 2>/dev/null) != *--profile* ]]; then
    echo "validate.sh: $(docker-compose version --short 2>/dev/null || echo this docker-compose) has no --profile (1.28 or later needed)" >&2
    exit 2
fi

# The file is checked as shipped: docker-compose runs with an empty environment (PATH and HOME aside), so every
# ${VARIABLE:-default} takes its default and COMPOSE_PROFILES or COMPOSE_FILE of the caller play no part.
compose() {
    env -i PATH="$PATH" HOME="${HOME:-/root}" docker-compose "$@"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Reads the resolved config (YAML) in file $2. First line: the services that profile $1 starts; then one line per
# thing wrong with them.
check_services() {
    python3 - "$1" "$2" <<'PY'
import os, sys
import yaml

profile = sys.argv[1]
with open(sys.argv[2]) as f:
    config = yaml.safe_load(f) or {}
services = config.get("services") or {}

def started(spec):
    profiles = spec.get("profiles") or []
    return not profiles or profile in profiles

active = {name: spec for name, spec in services.items() if started(spec)}
problems = []
if not active:
    problems.append("no service would start")

ports = {}
for name, spec in active.items():
    for port in spec.get("ports") or []:
        # By port number alone (a host address in front is not told apart): what compose files here publish.
        if isinstance(port, dict):
            published = port.get("published")
        else:  # "HOST:CONTAINER" or "IP:HOST:CONTAINER"; a bare "CONTAINER" publishes a random port
            parts = str(port).split(":")
            published = parts[-2] if len(parts) > 1 else None
        if published in (None, ""):
            continue
        key = str(published)
        if key in ports:
            problems.append(f"host port {key} published by both {ports[key]} and {name}")
        ports[key] = name

    depends = spec.get("depends_on") or []
    for dep in depends if isinstance(depends, list) else depends.keys():
        if dep not in active:
            problems.append(f"{name} depends on {dep}, which this profile does not start")

    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            kind, source = volume.get("type"), volume.get("source", "")
        else:
            source = str(volume).split(":")[0]
            kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        if kind == "bind" and not os.path.exists(os.path.expanduser(source)):
            problems.append(f"{name} mounts {source}, which does not exist")

print(" ".join(active))
print("\n".join(problems))
PY
}

passed=0
failed=0
for profile in "${profiles[@]}"; do
    label=${profile:-default}
    reason="" services=""
    args=(-f "$compose_file")
    [[ -n $profile ]] && args+=(--profile "$profile")

    if ! compose "${args[@]}" config -q >"$tmp/out" 2>"$tmp/err"; then
        reason="config refused it: $(tr '\n' ' ' <"$tmp/err")"
    elif [[ -s $tmp/err ]]; then
        reason="config warned: $(tr '\n' ' ' <"$tmp/err")"
    elif ! compose "${args[@]}" config >"$tmp/resolved" 2>"$tmp/err"; then
        reason="config refused it: $(tr '\n' ' ' <"$tmp/err")"
    elif ! report=$(check_services "$profile" "$tmp/resolved" 2>&1); then
        reason="could not read the resolved config: $(tr '\n' ' ' <<<"$report")"
    else
        services=$(head -n 1 <<<"$report")
        reason=$(tail -n +2 <<<"$report" | sed '/^$/d' | paste -sd ';' | sed 's/;/; /g')
    fi

    if [[ -z $reason ]]; then
        echo "ok      profile $label: $services"
        passed=$((passed + 1))
    else
        echo "FAILED  profile $label: $reason"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
