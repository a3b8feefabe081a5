import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parsePing, type PingReport } from './parse-ping.js'
import { parsePercent } from '../runner/lab/parse-percent.js'
import { parseDuration } from '../runner/util/parse-duration.js'
import type { ProbeOptions } from './probe-fn.js'
import { machinesOf } from '../runner/lab/lab.js'
import { machineAddress } from './machine-address.js'

/** One echo, one second to answer: iputils and busybox both read `-c 1 -W 1`. */
export const PING_ATTEMPT_MS = 1100

/** The echoes of a `count=` ping go 0.2 s apart (the shortest interval ping allows every user). */
const SERIES_INTERVAL_MS = 200

/**
 * How long a `ping … count=N` takes at most: N echoes 0.2 s apart, a second
 * for the last one's reply, and a second to start and read ping. Undefined
 * for a plain ping (one echo, retried within its window).
 */
export function pingSeriesMs(check: Check): number | undefined {
  const n = Number(check.options.count)
  return check.options.count === undefined || !Number.isInteger(n) || n < 1 ? undefined : n * SERIES_INTERVAL_MS + 2000
}

/** When ping is interrupted (SIGINT: it still prints its statistics), 80 ms before its budget ends. */
const interruptMs = (budgetMs: number): number => Math.max(100, budgetMs - 80)

/**
 * `ping FROM TO`: one ICMP echo from FROM gets a reply from TO. One attempt
 * sends one echo and waits up to a second; a SIGINT cuts it sooner when the
 * budget is shorter (as `timeout -s INT` would, without its process), and
 * ping then still prints its statistics.
 */
export async function pingProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: PING_ATTEMPT_MS }): Promise<Probe> {
  const [from, to] = check.args
  if (check.args.length !== 2 || !from || !to) return invalidProbe('ping needs a machine and a target: "ping FROM TO"')
  const address = isIPv4(to) ? to : ((await machineAddress(ctx, to, from)) ?? to)
  if (!isIPv4(address)) {
    // An unknown name cannot resolve inside the sandbox: a typo must not pass as "no reply".
    return invalidProbe(`"${to}" is neither a machine of this lab (${machinesOf(ctx.lab.topology).join(', ')}, or a network namespace it made) nor an IPv4 address`)
  }
  const target = address === to ? to : `${to} at ${address}`
  if (check.options.count !== undefined) return pingSeries(check, ctx, from, address, target, opts.timeoutMs)
  const script = `ping -c 1 -W 1 ${shellQuote(address)}`
  const r = await ctx.look({ machine: from, script, timeoutMs: opts.timeoutMs + 200, interruptAfterMs: interruptMs(opts.timeoutMs) })
  const evidence = [evidenceOf(r)]
  const expected = `a reply from ${target}`
  const p = parsePing(r.stdout + '\n' + r.stderr)
  if (!p.summary) {
    const problem = execProblem(r, `ping ${address}`, opts.timeoutMs)
    if (problem?.missing) return invalidProbe(problem.sentence, evidence)
    const why = problem?.sentence ?? `${from} could not ping ${target}: ${p.problem ?? (r.output.trim() || `exit ${r.exitCode}`)}`
    return { holds: false, sentence: why, expected, got: p.problem ?? 'no statistics', evidence }
  }
  const counts = `${p.transmitted} sent, ${p.received} received`
  const got = `${counts}, ${p.lossPercent}% packet loss`
  if (p.received > 0) {
    return { holds: true, sentence: `${from} got ${p.received === 1 ? 'a reply' : 'replies'} from ${target} (${counts})`, expected, got, evidence }
  }
  const icmp = p.icmpErrors[p.icmpErrors.length - 1]
  const said = icmp ? `; ${icmp.from} answered "${icmp.message}"` : ''
  return { holds: false, sentence: `${from} got no reply from ${target} (${counts}${said})`, expected, got, evidence }
}

/**
 * `ping FROM TO count=N [min-loss=P%] [max-loss=P%] [min-rtt=D] [max-rtt=D]`:
 * N echoes 0.2 s apart, judged once on ping's statistics. Without bounds it
 * holds when any echo was answered; with them, when every bound holds: the
 * share of echoes lost (from the counts, not ping's rounded percentage), the
 * shortest round trip (rtt min) at least min-rtt, the longest (rtt max) at most max-rtt.
 */
async function pingSeries(check: Check, ctx: CheckContext, from: string, address: string, target: string, timeoutMs: number): Promise<Probe> {
  const count = Number(check.options.count)
  const script = `ping -q -c ${count} -i ${SERIES_INTERVAL_MS / 1000} -W 1 ${shellQuote(address)}`
  const r = await ctx.look({ machine: from, script, timeoutMs: timeoutMs + 200, interruptAfterMs: interruptMs(timeoutMs) })
  const evidence = [evidenceOf(r)]
  const wanted = seriesBounds(check)
  const expected = wanted.length ? wanted.map((b) => b.text).join(', ') : `a reply from ${target}`
  const p = parsePing(r.stdout + '\n' + r.stderr)
  if (!p.summary) {
    const problem = execProblem(r, `ping ${address}`, timeoutMs)
    if (problem?.missing) return invalidProbe(problem.sentence, evidence)
    const why = problem?.sentence ?? `${from} could not ping ${target}: ${p.problem ?? (r.output.trim() || `exit ${r.exitCode}`)}`
    return { holds: false, sentence: why, expected, got: p.problem ?? 'no statistics', evidence }
  }
  const got = seriesText(p)
  const short = p.transmitted < count ? ` (ping was cut short after ${p.transmitted} of ${count} echoes)` : ''
  if (wanted.length === 0) {
    const holds = p.received > 0
    return { holds, sentence: `${from} ${holds ? 'got replies' : 'got no reply'} from ${target}: ${got}${short}`, expected, got, evidence }
  }
  const failed = wanted.find((b) => !b.holds(p))
  if (failed) return { holds: false, sentence: `${from} → ${target}: ${got}, not ${failed.text}${short}`, expected, got, evidence }
  return { holds: true, sentence: `${from} → ${target}: ${got}, ${wanted.map((b) => b.text).join(', ')}`, expected, got, evidence }
}

interface SeriesBound {
  text: string
  holds: (p: PingReport) => boolean
}

/** The share of echoes lost, in percent, from the counts. */
function lostPercent(p: PingReport): number {
  return p.transmitted === 0 ? 100 : (100 * (p.transmitted - p.received)) / p.transmitted
}

function seriesText(p: PingReport): string {
  const loss = `${p.transmitted} sent, ${p.received} received, ${Number(lostPercent(p).toFixed(1))}% lost`
  const errors = p.errors ? `, ${p.errors} ICMP error${p.errors === 1 ? '' : 's'}` : ''
  const rtt = p.rttMinMs !== undefined ? `, rtt min/avg/max ${p.rttMinMs}/${p.rttAvgMs}/${p.rttMaxMs} ms` : ''
  return `${loss}${errors}${rtt}`
}

/** The bounds a check sets on the statistics (lint has checked their text). */
function seriesBounds(check: Check): SeriesBound[] {
  const o = check.options
  const out: SeriesBound[] = []
  const pct = (k: string) => parsePercent(o[k] ?? '')
  const ms = (k: string) => {
    const d = parseDuration(o[k] ?? '')
    return 'ms' in d ? d.ms : undefined
  }
  const minLoss = pct('min-loss')
  if (minLoss !== undefined) out.push({ text: `at least ${minLoss}% lost`, holds: (p) => lostPercent(p) >= minLoss })
  const maxLoss = pct('max-loss')
  if (maxLoss !== undefined) out.push({ text: `at most ${maxLoss}% lost`, holds: (p) => lostPercent(p) <= maxLoss })
  const minRtt = ms('min-rtt')
  if (minRtt !== undefined) out.push({ text: `every round trip at least ${minRtt} ms`, holds: (p) => p.rttMinMs !== undefined && p.rttMinMs >= minRtt })
  const maxRtt = ms('max-rtt')
  if (maxRtt !== undefined) out.push({ text: `every round trip at most ${maxRtt} ms`, holds: (p) => p.rttMaxMs !== undefined && p.rttMaxMs <= maxRtt })
  return out
}
