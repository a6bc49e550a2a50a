#!/usr/bin/env bash
# deploy/systemd stays true to the binaries: each unit runs the binary it is
# named after with its own EnvironmentFile, and every variable in the example
# .env files (commented-out alternatives included) is a flag the binary has,
# with a value it accepts.
# Usage: deploy_config_test.sh <bin dir> <deploy/systemd dir>
set -uo pipefail
bin=${1:?usage: deploy_config_test.sh <bin dir> <systemd dir>}
dir=${2:?usage: deploy_config_test.sh <bin dir> <systemd dir>}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for server in mp-customer-db mp-product-db mp-payment mp-seller-server mp-buyer-server; do
  unit=$dir/$server.service env=$dir/$server.env
  [ -f "$unit" ] || { fail "$unit is missing"; continue; }
  [ -f "$env" ] || { fail "$env is missing"; continue; }
  grep -qx "ExecStart=/opt/marketplace/bin/$server" "$unit" || fail "$unit: ExecStart"
  grep -qx "EnvironmentFile=/etc/marketplace/$server.env" "$unit" || fail "$unit: EnvironmentFile"
  help=$("$bin/$server" --help) || { fail "$server --help"; continue; }
  prefix=$(grep -oE 'also MP_[A-Z_]+_<FLAG>' <<<"$help" | sed 's/^also //; s/<FLAG>$//')
  [ -n "$prefix" ] || { fail "$server --help names no variable prefix"; continue; }
  while IFS= read -r line; do
    var=${line%%=*}
    if [[ $var != "$prefix"* ]]; then
      fail "$env: $var does not start with $prefix"
      continue
    fi
    flag=$(tr 'A-Z_' 'a-z-' <<<"${var#"$prefix"}")
    grep -qE -- "--$flag( |$)" <<<"$help" || fail "$env: $var names no flag of $server (--$flag)"
  done < <(grep -E '^#?MP_[A-Z_]+=' "$env" | sed 's/^#//')
  # The values parse: flags are read (environment included) before --help.
  mapfile -t vars < <(grep -E '^MP_[A-Z_]+=' "$env")
  env -i "${vars[@]}" "$bin/$server" --help >/dev/null 2>&1 ||
    fail "$env: $server refuses these values: $(env -i "${vars[@]}" "$bin/$server" --help 2>&1 >/dev/null)"
  [ "$failures" -eq 0 ] && echo "ok: $server unit and environment file"
done
# systemd's own check of the units, where systemd is installed (pointed at
# the built binaries and these environment files).
if command -v systemd-analyze >/dev/null; then
  units=$(mktemp -d)
  for unit in "$dir"/*.service; do
    sed "s#/opt/marketplace/bin/#$bin/#; s#/etc/marketplace/#$dir/#" "$unit" \
      >"$units/$(basename "$unit")"
  done
  out=$(cd "$units" && systemd-analyze verify --man=no ./*.service 2>&1)
  [ -z "$out" ] && echo "ok: systemd-analyze verify" || fail "systemd-analyze verify: $out"
  rm -rf "$units"
else
  echo "note: systemd-analyze not installed; units checked by the rules above only"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
