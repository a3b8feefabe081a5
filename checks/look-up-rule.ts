import type { ExecResult } from '../runner/host/exec-result.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import { builtinChains } from './builtin-chains.js'
import { iptablesTool } from './iptables-tool.js'
import type { CheckContext } from './check-context.js'
import type { Evidence } from './check-result.js'
import { EVIDENCE_MAX_CHARS } from './evidence-of.js'
import { parseIptablesSave, type IptablesSave } from './parse-iptables-save.js'
import { truncateOutput } from '../runner/util/truncate-output.js'

const M = {
  saved: '@@NSLAB-SAVED@@',
  restoreFailed: '@@NSLAB-RESTORE-FAILED@@',
  rejected: '@@NSLAB-REJECTED@@',
  accepted: '@@NSLAB-ACCEPTED@@',
  scratched: '@@NSLAB-SCRATCHED@@',
}

export interface RuleLookup {
  /** The table as the machine has it now (iptables-save -c -t TABLE); undefined when it could not be read. */
  target?: IptablesSave
  /** Why the table could not be read. */
  targetError?: string
  /** How iptables prints the check's rule: "-A CHAIN …" lines (counters apart); one rule may expand to several. */
  canonical?: string[]
  /** iptables refused the rule in the scratch namespace: its own message. */
  rejected?: string
  /** The scratch namespace could not be made or filled. */
  scratchError?: string
  evidence: Evidence[]
  exec: ExecResult
}

/**
 * Read TABLE on MACHINE and learn how iptables itself prints SPEC: read
 * `iptables-save -c -t TABLE` (one process); when the machine already has a
 * rule printed exactly as SPEC is written, that is iptables' own form (save
 * output parses back to itself) and nothing more is run. Else, in a scratch
 * network namespace (`unshare -n`, nothing of the machine's own rules
 * touched), declare the table's user-defined chains (so `-j DOCKER`
 * resolves), append SPEC to CHAIN there with the same `iptables` binary, and
 * print that table back. No grammar of iptables here: iptables canonicalises
 * both sides.
 */
export async function lookUpRule(
  ctx: CheckContext,
  o: {
    machine: string
    table: string
    chain: string
    spec: string[]
    /** SPEC as one line, quoted the way iptables-save quotes (specText). */
    written: string
    timeoutMs: number
  },
): Promise<RuleLookup> {
  const T = shellQuote(o.table)
  const ipt = iptablesTool('iptables', ctx.iptables)
  const save = iptablesTool('iptables-save', ctx.iptables)
  const restore = iptablesTool('iptables-restore', ctx.iptables)
  const builtin = builtinChains(o.table) ?? []
  const append = `${ipt} -t ${T} -A ${shellQuote(o.chain)} ${o.spec.map(shellQuote).join(' ')}`
  const inner = [
    // A /run of the scratch's own: iptables-legacy takes its lock there, and nothing of the machine's may be written.
    'mount -t tmpfs nslab-scratch /run 2>/dev/null || :',
    // Only a rule in or to a user-defined chain needs the table's chains declared.
    `[ -z "$NSLAB_CHAINS" ] || ${restore} 2>&1 || { echo ${M.restoreFailed}; exit 0; }`,
    `out=$(${append} 2>&1); rc=$?`,
    `[ -z "$out" ] || printf '%s\\n' "$out"`,
    `if [ $rc -ne 0 ]; then echo "${M.rejected} $rc"; exit 0; fi`,
    `echo ${M.accepted}`,
    `${save} -t ${T}`,
  ].join('\n')
  const scratch = `unshare -n -m sh -c ${shellQuote(inner)}`
  // What the evidence names: the command a person would type, in a scratch copy of the table.
  const shownScratch = `${append}   (in a scratch copy of the ${o.table} table)`
  const declare = `:${o.chain} - [0:0]`
  const jump = jumpTarget(o.spec)
  // First the table alone (one process, batched with the block's other quick looks): most rules a check
  // names are printed by iptables exactly as written, and need nothing more.
  const t0 = performance.now()
  const first = await ctx.look({ machine: o.machine, script: `${save} -c -t ${T}`, timeoutMs: o.timeoutMs, quick: true })
  const r: RuleLookup = { evidence: [], exec: first }
  const saveText = first.output
  if (first.timedOut || first.exitCode === null) {
    r.targetError = (first.timedOut ? 'it did not answer in time' : first.stderr.trim() || first.output.trim()) || 'it was killed'
    r.evidence.push(ev(o.machine, `${save} -c -t ${T}`, first.exitCode, saveText))
    return r
  }
  const saveRc = first.exitCode
  r.evidence.push(ev(o.machine, `${save} -c -t ${T}`, saveRc, saveText))
  if (saveRc !== 0) r.targetError = saveText.trim() || `iptables-save exited ${saveRc}`
  else r.target = parseIptablesSave(first.stdout)
  // A line printed exactly as the check writes the rule (counters apart) is iptables' own form already.
  const want = `-A ${o.chain} ${o.written}`
  const lines = saveRc === 0 ? first.stdout.split('\n') : []
  if (r.target && lines.some((l) => l.replace(/^\[.*?\] /, '') === want)) {
    r.canonical = [want]
    return r
  }
  // Else the scratch copy, with the table's user-defined chains declared (a CHAIN the machine lacks too).
  let declared = `*${o.table}\n`
  for (const l of lines) if (/^:\S+ - /.test(l)) declared += `${l.slice(0, l.indexOf(' '))} - [0:0]\n`
  if (!builtin.includes(o.chain) && !declared.includes(`\n${declare}\n`)) declared += `${declare}\n`
  const chains = !builtin.includes(o.chain) || (jump !== undefined && declared.includes(`\n:${jump} - `)) ? '1' : ''
  const script = [`printf '%sCOMMIT\\n' ${shellQuote(declared)} | NSLAB_CHAINS=${chains} ${scratch} 2>&1`, `echo "${M.scratched} $?"`].join('\n')
  const left = Math.max(500, o.timeoutMs - (performance.now() - t0))
  const exec = await ctx.look({ machine: o.machine, script, timeoutMs: left, quick: true })
  r.exec = exec
  const rest = exec.stdout
  const end = new RegExp(`^${M.scratched} (\\d+)$`, 'm').exec(rest)
  const scratchText = end ? rest.slice(0, end.index) : rest
  const scratchRc = end ? Number(end[1]) : exec.exitCode
  const shown = scratchText.replace(new RegExp(`^(${M.accepted}|${M.rejected} \\d+|${M.restoreFailed})\\n?`, 'm'), '')
  r.evidence.push(ev(o.machine, shownScratch, scratchRc, shown))
  const rejected = new RegExp(`^${M.rejected} (\\d+)$`, 'm').exec(scratchText)
  const accepted = new RegExp(`^${M.accepted}$`, 'm').exec(scratchText)
  if (scratchText.includes(M.restoreFailed)) {
    r.scratchError = scratchText.slice(0, scratchText.indexOf(M.restoreFailed)).trim() || 'iptables-restore failed'
  } else if (rejected) {
    r.rejected =
      scratchText
        .slice(0, rejected.index)
        .split('\n')
        .filter((l) => !/^Try `iptables -h'/.test(l) && l.trim() !== '')
        // "iptables v1.8.9 (nf_tables): unknown option …" → "unknown option …"
        .map((l) => l.replace(/^iptables(?: v[\d.]+)?(?: \([^)]*\))?:\s*/, '').trim())
        .join(' ') || `iptables exited ${rejected[1]}`
  } else if (accepted) {
    const canon = parseIptablesSave(scratchText.slice(accepted.index + accepted[0].length))
    r.canonical = (canon.tables.get(o.table)?.rules ?? []).filter((x) => x.chain === o.chain).map((x) => x.text)
    if (r.canonical.length === 0) r.scratchError = 'iptables accepted the rule but did not print it back'
  } else {
    r.scratchError = (exec.timedOut ? 'it did not answer in time' : scratchText.trim() || exec.stderr.trim()) || `exit ${scratchRc}`
  }
  return r
}

function ev(machine: string, command: string, exitCode: number | null, output: string): Evidence {
  return { machine, command, exitCode, output: truncateOutput(output.trim(), EVIDENCE_MAX_CHARS).text }
}

/** The chain or target a rule jumps to (-j/--jump, -g/--goto), if any. */
export function jumpTarget(spec: string[]): string | undefined {
  const i = spec.findIndex((a) => a === '-j' || a === '--jump' || a === '-g' || a === '--goto')
  return i >= 0 ? spec[i + 1] : undefined
}
