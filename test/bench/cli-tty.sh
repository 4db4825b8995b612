#!/usr/bin/env bash
# Runs `sluice run` in a real terminal (tmux) against an overloaded loopback server (a token
# bucket answering 429) and prints the progress line as a user sees it, a few times, then the end.
#
#   bash test/bench/cli-tty.sh [requests=300] [rate=20] [burst=5]
#
# Needs tmux (apt-get install -y tmux). Uses its own tmux socket and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=${1:-300}
rate=${2:-20}
burst=${3:-5}
node=node_modules/.bin/node
work=$(mktemp -d)
socket="sluice-tty-$$"
server_pid=""

cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The overloaded server, in its own process, printing its origin when it listens.
"$node" --import tsx test/helpers/serve-mock.ts token-bucket "$rate" "$burst" > "$work/origin" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/origin" ] && break; sleep 0.1; done
origin=$(cat "$work/origin")
for i in $(seq 1 "$requests"); do echo "$origin/items/$i"; done > "$work/urls.txt"

tmux -L "$socket" new-session -d -s tty -x 150 -y 8 \
  "$node --import tsx src/cli/main.ts run $work/urls.txt > $work/out.ndjson; echo EXIT=\$?; sleep 60"

echo "server: token bucket $rate/s, burst $burst, 429 with Retry-After; $requests requests"
for _ in $(seq 1 600); do
  sleep 1
  screen=$(tmux -L "$socket" capture-pane -p -t tty)
  if grep -q '^EXIT=' <<<"$screen"; then break; fi
  line=$(grep '^sluice ' <<<"$screen" | tail -n 1 || true)
  [ -n "$line" ] && echo "progress: $line"
done
echo "--- final screen"
tmux -L "$socket" capture-pane -p -t tty | sed '/^$/d'
echo "--- results: $(wc -l < "$work/out.ndjson") lines, statuses: $(grep -o '"status":[0-9]*' "$work/out.ndjson" | sort | uniq -c | tr '\n' ' ')"
