#!/usr/bin/env bash
# Installs what natlab/lab.sh needs, from Debian's packages. Idempotent:
# does nothing (and touches no registry) when every tool is already there.
# Used by CI before `lab.sh up`; must run as root.
set -euo pipefail

# tool -> Debian package
declare -A NEED=(
  [nft]=nftables
  [conntrack]=conntrack
  [ping]=iputils-ping
  [ip]=iproute2
  [sysctl]=procps
)
# python3 from Debian (stdlib only) runs the wire, the helpers and simopen.py
[[ -x /usr/bin/python3 ]] || NEED[/usr/bin/python3]=python3

missing=()
for tool in "${!NEED[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    missing+=("${NEED[$tool]}")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all present (nft conntrack ping ip sysctl /usr/bin/python3)"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

for tool in "${!NEED[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-deps: $tool still missing" >&2; exit 1; }
done
echo "install-deps: done"
