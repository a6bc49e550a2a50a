# Sourced by the test scripts that run npm packages: installs the current
# directory's package-lock.json with `npm ci` unless node_modules was
# installed from exactly these package files (a stamp of their hash), one
# installer at a time (several build trees share the directory; the lock is
# on this file, so no lock file is left behind).
# Usage: mp_npm_ci <name for messages> <path that must exist after install>
mp_npm_ci() {
  local name=$1 need=$2 stamp_file=node_modules/.mp-install-stamp stamp
  exec 9<"${BASH_SOURCE[0]}"
  command -v flock >/dev/null && flock 9
  stamp="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
  if [ ! -e "$need" ] || [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    echo "$name: npm ci (into $PWD/node_modules)" >&2
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$stamp" >"$stamp_file"
  fi
  exec 9<&-
}
