#!/usr/bin/env bash
# Lints the OpenAPI documents in docs/api with Redocly CLI (the version pinned
# in package.json / package-lock.json). Installs it first with `npm ci` when
# node_modules is missing or older than the lock file. Fails on any error or
# warning. Needs node and npm (scripts/setup.sh installs them).
# Usage: tests/openapi/lint.sh   (registered with CTest as openapi_lint)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
docs="$here/../../docs/api"
cd "$here"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "openapi lint: '$tool' not found; run scripts/setup.sh --no-build" >&2
    exit 1
  fi
done

source "$here/../npm_ci.sh"
mp_npm_ci "openapi lint" node_modules/.bin/redocly

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
redocly=(node_modules/.bin/redocly lint --config "$here/redocly.yaml")
apis=("$docs/seller.yaml" "$docs/buyer.yaml")

# JSON first, to count warnings too (redocly exits 0 on warnings; with
# several files it prints one JSON object per file, so one file per run); on
# any problem the readable report follows.
count() {
  node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d));
    process.stdin.on("end", () => {
      try {
        const t = JSON.parse(text).totals;
        console.log(t.errors + t.warnings);
      } catch (e) {
        console.log("unparsable output");
      }
    });'
}
failed=0
for api in "${apis[@]}"; do
  problems="$("${redocly[@]}" --format=json "$api" 2>/dev/null | count)"
  if [ "$problems" != 0 ]; then
    "${redocly[@]}" "$api" >&2 || true
    echo "openapi lint: $(basename "$api"): $problems problems" >&2
    failed=1
  fi
done
if [ "$failed" = 0 ]; then
  echo "openapi lint: $(basename -a "${apis[@]}" | xargs): 0 errors, 0 warnings" \
       "(redocly $("${redocly[0]}" --version 2>/dev/null || echo '?'))"
fi
exit "$failed"
