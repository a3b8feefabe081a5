// `http FROM URL backends="…" [count=N]`, live: a lab host shaped like labs/kube-proxy-service.md
// (pods on cni0 answering their names, ClusterIPs DNAT'd over them by -m statistic), where the
// check passes with its tally, and fails naming a backend that is down, an answer from none of
// them, and a request that gets no answer.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { runCheck } from '../../checks/run-check.js'
import { checkKinds } from '../../checks/check-kinds.js'
import type { CheckContext } from '../../checks/check-context.js'
import type { CheckResult } from '../../checks/check-result.js'
import { sandboxCheckContext } from '../../runner/run/sandbox-check-context.js'
import type { Check, Lab, Topology } from '../../runner/lab/lab.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { createSandbox, type Sandbox } from '../../runner/host/sandbox.js'
import type { Running } from '../../runner/host/exec.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/checks/${name}`, import.meta.url), 'utf8')
const topology = JSON.parse(fixture('backends-lab-host.json')) as Topology
const lab: Lab = { file: 'http-backends.md', title: 'backends', engine: 'netns', timeoutMs: 10_000, topology, blocks: [], epilogue: '' }
const UP = 'for i in $(seq 100); do for ip in 2 3 5; do curl -s -o /dev/null --max-time 1 http://10.244.1.$ip:8080/ || continue 2; done; exit 0; done; exit 1'

let sb: Sandbox
let ctx: CheckContext
const servers = new Map<string, Running>()
const serve = (pod: string) => servers.set(pod, sb.spawn({ machine: pod, script: `exec busybox httpd -f -p 8080 -h /srv/${pod}` }))

t.before(async () => {
  sb = await createSandbox({ topology, name: 'http-backends' })
  ctx = sandboxCheckContext(sb, lab)
  const setup = await sb.exec({ machine: 'host', script: fixture('backends-lab-host.sh'), timeoutMs: 20_000 })
  if (setup.exitCode !== 0) throw new Error(`setup: ${setup.output}`)
  for (const pod of ['web-a', 'web-b', 'web-c']) serve(pod)
  const up = await sb.exec({ machine: 'client', script: UP, timeoutMs: 20_000 })
  if (up.exitCode !== 0) throw new Error(`the pods' servers did not come up: ${up.output}`)
})
t.teardown(() => sb?.stop())

function check(source: string): Check {
  const p = parseCheck(source, 1)
  if (!p.check) throw new Error(`${source}: ${p.problem}`)
  return p.check
}

async function judge(t: Test, source: string, ok: boolean, sentence: RegExp, atMostMs: number): Promise<CheckResult> {
  const chk = check(source)
  const r = await runCheck(chk, ctx)
  t.equal(r.ok, ok, `${source} → ${ok ? 'pass' : 'fail'}: ${r.sentence} (${Math.round(r.durationMs)} ms)`)
  t.match(r.sentence, sentence)
  t.equal(r.attempts, 1, '  judged once, on all its requests')
  t.notOk(r.invalid, '  judged')
  t.ok(r.durationMs <= atMostMs, `  answered in ${Math.round(r.durationMs)} ms (at most ${atMostMs} ms on a busy machine)`)
  t.equal(r.evidence.length, 1, '  one command ran: the loop of curls')
  t.equal(r.evidence[0]!.machine, chk.args[0])
  t.match(r.evidence[0]!.command, new RegExp(`while \\[ "\\$i" -lt ${r.check.options.count ?? '\\d+'} \\]; do`))
  t.ok(!r.sentence.includes('\n'), '  one sentence')
  return r
}

t.test('in turn over three pods: each answered ten of thirty', async (t) => {
  const r = await judge(t, 'http client http://10.96.0.10/ count=30 backends="web-a web-b web-c"', true, /^client → http:\/\/10\.96\.0\.10\/: web-a 10, web-b 10, web-c 10 of 30 requests; every backend answered$/, 20_000)
  t.equal(r.got, 'web-a 10, web-b 10, web-c 10 of 30 requests')
  t.equal(r.expected, 'each of 30 answers from one of web-a, web-b, web-c, and each of them at least once')
  t.equal((r.evidence[0]!.output.match(/^@@NSLAB-END@@ 0$/gm) ?? []).length, 30, '  evidence: thirty requests, each ended by curl exit 0')
})

t.test('at random, as kube-proxy writes it (1/3, 1/2, the rest): 30 requests by default', async (t) => {
  // Each pod misses all 30 by chance once in 60,000 runs.
  await judge(t, 'http client http://10.96.0.13/ backends="web-a web-b web-c"', true, /^client → http:\/\/10\.96\.0\.13\/: web-a \d+, web-b \d+, web-c \d+ of 30 requests; every backend answered$/, 20_000)
})

t.test('status= and contains= hold for every answer; a machine name in the URL', async (t) => {
  await judge(t, 'http client http://10.96.0.10/ count=6 status=200 contains="web" backends="web-a web-b web-c"', true, /web-a 2, web-b 2, web-c 2 of 6 requests; every backend answered$/, 15_000)
  await judge(t, 'http client http://web-b:8080/ count=3 backends="web-b"', true, /^client → http:\/\/web-b:8080\/: web-b 3 of 3 requests; every backend answered$/, 15_000)
  await judge(t, 'http client http://10.96.0.10/nope count=3 backends="web-a web-b web-c"', false, /^client → http:\/\/10\.96\.0\.10\/nope: web-a 0, web-b 0, web-c 0 of 3 requests; 3 of 3 answers were wrong, the first \(request 1\) got 404, not 2xx$/, 15_000)
})

t.test('an answer from none of the backends listed fails, and says what it was', async (t) => {
  await judge(t, 'http client http://10.96.0.10/ count=6 backends="web-a web-b"', false, /^client → http:\/\/10\.96\.0\.10\/: web-a 2, web-b 2 of 6 requests; 2 of 6 answers were wrong, the first \(request \d\) got "web-c", which names none of web-a, web-b$/, 15_000)
})

t.test("a backend whose port is closed: its share is refused, and it is named", async (t) => {
  await judge(t, 'http client http://10.96.0.11/ count=30 backends="web-a web-b web-c"', false, /^client → http:\/\/10\.96\.0\.11\/: web-a 10, web-b 10, web-c 0 of 30 requests; 10 of 30 requests failed, the first \(request \d\) could not connect \(Failed to connect to 10\.96\.0\.11 port 80 [^)]*\); web-c never answered$/, 20_000)
})

t.test('a backend that drops what comes: the loop stops at the first request that gets no answer', async (t) => {
  // Two answers, then the third request waits its 2 s: not 28 requests more.
  await judge(t, 'http client http://10.96.0.12/ count=30 backends="web-a web-b web-c"', false, /^client → http:\/\/10\.96\.0\.12\/: web-a 1, web-b 1, web-c 0 of 3 requests; request 3 got no response within 2 s \([^)]*timed out[^)]*\), so the other 27 were not sent; web-c never answered$/, 8_000)
})

t.test("one pod's server stops: the check names it", async (t) => {
  const c = servers.get('web-c')!
  c.kill('SIGTERM')
  await c.done
  await judge(t, 'http client http://10.96.0.10/ count=30 backends="web-a web-b web-c"', false, /^client → http:\/\/10\.96\.0\.10\/: web-a 10, web-b 10, web-c 0 of 30 requests; 10 of 30 requests failed, the first \(request \d\) could not connect \([^)]*\); web-c never answered$/, 20_000)
  // Without web-c's share the two others still answer: the check lists who must answer, no more.
  serve('web-c')
  const up = await sb.exec({ machine: 'client', script: UP, timeoutMs: 20_000 })
  t.equal(up.exitCode, 0, "web-c's server is back")
  await judge(t, 'http client http://10.96.0.10/ count=30 backends="web-a web-b web-c"', true, /every backend answered$/, 20_000)
})

t.test('how long the series may take, and `no http … backends=` (refused by lint) cannot be judged', async (t) => {
  t.equal(checkKinds.http.seriesMs!(check('http client http://10.96.0.10/ count=30 backends="a b"')), 30 * 2100 + 2000, '30 × (2 s and curl\'s start) and 2 s to read')
  t.equal(checkKinds.http.seriesMs!(check('http client http://10.96.0.10/ backends="a b c"')), 30 * 2100 + 2000, 'the default count: 10 per backend')
  t.equal(checkKinds.http.seriesMs!(check('http client http://10.96.0.10/')), undefined, 'a plain http check keeps its window')
  const negated: Check = { ...check('http client http://10.96.0.10/ count=6 backends="web-a web-b"'), negated: true }
  const r = await runCheck(negated, ctx)
  t.equal(r.ok, false)
  t.equal(r.invalid, true)
  t.match(r.sentence, /^no http … backends= cannot be judged/)
})
