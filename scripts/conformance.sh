#!/usr/bin/env bash
# Runs the official MCP conformance suite against a running Streamable HTTP endpoint.
#
#   scripts/conformance.sh URL VERSION [extra suite args]
#     URL      e.g. http://127.0.0.1:8080/mcp
#     VERSION  2026-07-28 (stateless wire) or 2025-11-25 (initialize/session wire)
#
# Results go to $CONFORMANCE_RESULTS (default target/conformance/VERSION):
#   suite.log      the suite's own output
#   checks/        one directory per scenario, each with checks.json
#   failures.txt   failing checks as `scenario:check-id`, sorted (the suite's
#                  own baseline syntax, so it can be diffed against an
#                  expected-failure list)
#   summary.json   counts and lists, for scripts
# Prints `conformance VERSION: P passed, F failed, S skipped` and the failures.
# Exits 0 whenever the suite ran, whatever it found: judging the failures is
# the caller's job. Non-zero only when it could not run (tools missing,
# endpoint unreachable, suite produced nothing).
#
# CONFORMANCE_BEARER_TOKEN, when set, is sent as `Authorization: Bearer ...`
# on every request the suite makes (it has no option of its own for that).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/target/tools"
PKG="$TOOLS/conformance/node_modules/@modelcontextprotocol/conformance"

if [ $# -lt 2 ]; then
    echo "usage: $0 URL 2026-07-28|2025-11-25 [extra suite args]" >&2
    exit 2
fi
URL=$1 VERSION=$2
shift 2
case "$VERSION" in
    2026-07-28 | 2025-11-25) ;;
    *) echo "unsupported VERSION '$VERSION' (2026-07-28 or 2025-11-25)" >&2; exit 2 ;;
esac

# The suite needs node >= 22: prefer the one install-test-tools.sh linked.
NODE="$TOOLS/bin/node"
[ -x "$NODE" ] || NODE=$(command -v node || true)
major=$("$NODE" --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p' || true)
if [ -z "$major" ] || [ "$major" -lt 22 ] || [ ! -f "$PKG/dist/index.js" ]; then
    echo "conformance tools missing: run scripts/install-test-tools.sh" >&2
    exit 2
fi

OUT=${CONFORMANCE_RESULTS:-$ROOT/target/conformance/$VERSION}
rm -rf "$OUT"
mkdir -p "$OUT/checks"

# Fail fast when nothing listens: otherwise every check "fails" and the
# caller would read a dead server as a conformance regression.
if ! "$NODE" -e 'fetch(process.argv[1], {method: "POST", signal: AbortSignal.timeout(5000)})
        .then(r => r.body?.cancel(), e => { console.error(String(e.cause ?? e)); process.exit(1); })' "$URL"; then
    echo "conformance $VERSION: cannot reach $URL" >&2
    exit 3
fi

# --requirements runs exactly what the revision requires, at that revision's
# wire, plus the unscored extension/pending scenarios for visibility. It cannot
# be combined with a scenario or suite selection, so those switch to
# --spec-version.
narrowed='' versioned=''
for a in "$@"; do
    case "$a" in
        --scenario | --scenario=* | --suite | --suite=*) narrowed=1 ;;
        --spec-version | --spec-version=* | --requirements | --requirements=*) versioned=1 ;;
    esac
done
if [ -n "$versioned" ]; then select=()
elif [ -n "$narrowed" ]; then select=(--spec-version "$VERSION")
else select=(--requirements "$VERSION"); fi

# The suite has no header option; a preload gives undici's global dispatcher
# (used by both fetch and undici.request inside the suite) an interceptor.
node_opts=()
if [ -n "${CONFORMANCE_BEARER_TOKEN:-}" ]; then
    cat >"$OUT/bearer-preload.mjs" <<EOF
import { createRequire } from 'node:module';
const { Agent, setGlobalDispatcher } = createRequire('$PKG/package.json')('undici');
const auth = 'Bearer ' + process.env.CONFORMANCE_BEARER_TOKEN;
setGlobalDispatcher(new Agent().compose((dispatch) => (opts, handler) => {
  const h = Array.isArray(opts.headers) ? [...opts.headers, 'authorization', auth]
    : { ...(opts.headers ?? {}), authorization: auth };
  return dispatch({ ...opts, headers: h }, handler);
}));
EOF
    node_opts=(--import "$OUT/bearer-preload.mjs")
fi

set +e
"$NODE" "${node_opts[@]}" "$PKG/dist/index.js" server --url "$URL" "${select[@]}" \
    -o "$OUT/checks" "$@" >"$OUT/suite.log" 2>&1
rc=$?
set -e

# Tally the per-scenario checks.json files (directory names are
# server-<scenario>-<timestamp>). Scenarios that crashed leave no file but are
# named in the suite's summary; the unscored ones are listed after it.
"$NODE" - "$OUT" "$VERSION" "$rc" <<'EOF'
const fs = require('fs'), path = require('path');
const [out, version, rc] = process.argv.slice(2);
const log = fs.readFileSync(path.join(out, 'suite.log'), 'utf8');
const n = { SUCCESS: 0, FAILURE: 0, SKIPPED: 0, WARNING: 0, INFO: 0 };
const failures = new Set(), warnings = new Set(), seen = new Set();
for (const d of fs.readdirSync(path.join(out, 'checks'))) {
  const scenario = d.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
  const file = path.join(out, 'checks', d, 'checks.json');
  if (!fs.existsSync(file)) continue;
  seen.add(scenario);
  for (const c of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    n[c.status] = (n[c.status] ?? 0) + 1;
    if (c.status === 'FAILURE') failures.add(`${scenario}:${c.id}`);
    if (c.status === 'WARNING') warnings.add(`${scenario}:${c.id}`);
  }
}
for (const m of log.matchAll(/^✗ (\S+): \d+ passed, (\d+) failed/gm))
  if (!seen.has(m[1])) { failures.add(`${m[1]}:${m[1]}`); n.FAILURE += +m[2]; }
n.SKIPPED += (log.match(/^SKIPPED: scenario/gm) ?? []).length;
const notScored = {};
const tail = log.split(/^Not scored for /m)[1] ?? '';
for (const m of tail.matchAll(/^\s+[✓✗] (\S+) \(([^)]+)\)$/gm)) notScored[m[1]] = m[2];
if (seen.size === 0 && failures.size === 0 && n.SKIPPED === 0) {
  console.error(`conformance ${version}: the suite produced no results (exit ${rc}); see ${out}/suite.log`);
  console.error(log.split('\n').slice(-15).join('\n'));
  process.exit(4);
}
const sorted = [...failures].sort();
fs.writeFileSync(path.join(out, 'failures.txt'), sorted.map((f) => f + '\n').join(''));
fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify({
  version, suiteExitCode: +rc, passed: n.SUCCESS, failed: n.FAILURE, skipped: n.SKIPPED,
  warnings: n.WARNING, failures: sorted, warningChecks: [...warnings].sort(), notScored,
}, null, 2) + '\n');
console.log(`conformance ${version}: ${n.SUCCESS} passed, ${n.FAILURE} failed, ${n.SKIPPED} skipped`);
for (const f of sorted) {
  const why = notScored[f.split(':')[0]];
  console.log(`  FAIL ${f}${why ? `  (not scored: ${why})` : ''}`);
}
if (n.WARNING) console.log(`  (${n.WARNING} checks warned; see ${out}/summary.json)`);
EOF
