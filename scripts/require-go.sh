# Sourced by the Go build scripts: require_go <script> <minimum Go> <what is built> <what the tests need>.
# Without a recent enough Go it says what to install and stops the script: on CI (CI=true) that is
# a failure, elsewhere the tests that need the binary fail later with the same message.
require_go() {
  local script=$1 need=$2 what=$3 needed=$4 have
  give_up() {
    echo "$script: $1" >&2
    echo "$script: the end-to-end tests need $needed" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    exit 0
  }
  if ! command -v go >/dev/null 2>&1; then
    give_up "Go $need or later is needed to build $what from the Go module proxy, and no 'go' is on PATH (install it from https://go.dev/dl/)"
  fi
  have=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    give_up "Go $need or later is needed to build $what from the Go module proxy, found go$have at $(command -v go)"
  fi
}
