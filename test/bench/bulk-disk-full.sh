#!/usr/bin/env bash
# A real full disk under `sluice run --state --output`: both files on a small tmpfs, N POST lines
# against a loopback server that counts what it receives per line. The first run fills the disk
# and must stop with exit 74 and a sentence; after space is freed, the same command resumes.
# Checks: no line received twice, every line received, every line's result in the output once.
#
#   sudo bash test/bench/bulk-disk-full.sh [lines=3000] [tmpfs size=1m]
#
# Needs root (it mounts a tmpfs) and a built dist/ (npm run build). Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

lines=${1:-3000}
size=${2:-1m}
node=node_modules/.bin/node
work=$(mktemp -d)
disk="$work/disk"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  umount "$disk" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$disk"
mount -t tmpfs -o "size=$size" tmpfs "$disk"

# The server: 200 with a small JSON body; logs each path it receives, one per line.
cat > "$work/server.cjs" <<'EOF'
const fs = require('node:fs');
const log = fs.openSync(process.argv[2], 'a');
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    fs.writeSync(log, `${req.url}\n`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: req.url, note: 'x'.repeat(40) }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
EOF
"$node" "$work/server.cjs" "$work/received.log" > "$work/port" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
for i in $(seq 1 "$lines"); do
  echo "{\"url\":\"http://127.0.0.1:$port/orders/$i\",\"method\":\"POST\",\"body\":{\"n\":$i}}"
done > "$work/input.ndjson"

run() {
  "$node" dist/cli.js run --state "$disk/run.state" --output "$disk/results.ndjson" "$work/input.ndjson" 2> "$work/stderr" && code=0 || code=$?
  echo "exit $code; stderr: $(tr '\n' ' ' < "$work/stderr")"
}

# Fill the disk but for about 100 KiB: a ballast file a user would delete to make room.
dd if=/dev/zero of="$disk/ballast" bs=1k count=$(( $(df -k --output=avail "$disk" | tail -1) - 100 )) status=none

echo "== first run: $lines POST lines, state and output on a $size tmpfs with ~100 KiB free"
run
df -h "$disk" | tail -1
echo "server received $(wc -l < "$work/received.log") requests"

echo "== free space (delete the ballast), then run the same command again"
rm "$disk/ballast"
run
cp "$disk/results.ndjson" "$work/results.ndjson"

echo "== checks"
total=$(wc -l < "$work/received.log")
distinct=$(sort -u "$work/received.log" | wc -l)
twice=$(sort "$work/received.log" | uniq -d | wc -l)
results=$(wc -l < "$work/results.ndjson")
result_lines=$(grep -o '"line":[0-9]*' "$work/results.ndjson" | sort -u | wc -l)
lost=$(grep -c '"errorCode":"RESULT_LOST"' "$work/results.ndjson" || true)
echo "server received $total requests for $distinct distinct lines ($twice lines twice); output: $results results for $result_lines distinct lines ($lost reported lost)"
[ "$twice" -eq 0 ] && [ "$result_lines" -eq "$lines" ] && [ "$results" -eq "$lines" ] && echo "OK: no line sent twice, every line's result once" || { echo "FAILED"; exit 1; }
