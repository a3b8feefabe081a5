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
  fast: '@@NSLAB-AS-PRINTED@@',
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
 * Read TABLE on MACHINE and learn how iptables itself prints SPEC, in one
 * script: print `iptables-save -c -t TABLE`, then in a scratch network
 * namespace (`unshare -n`, nothing of the machine's own rules touched) declare
 * the table's user-defined chains (so `-j DOCKER` resolves), append SPEC to
 * CHAIN there with the same `iptables` binary, and print that table back.
 * No grammar of iptables here: iptables canonicalises both sides. When the
 * machine already has a rule printed exactly as SPEC is written, that is
 * iptables' own form (save output parses back to itself) and the scratch step
 * is skipped.
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
  const script = [
    'set +e',
    `save=$(${save} -c -t ${T} 2>&1); rc=$?`,
    `printf '%s\\n' "$save"`,
    `echo "${M.saved} $rc"`,
    `in=${shellQuote(`*${o.table}`)}$'\\n'`,
    // One pass with bash alone (no process per line): a rule printed exactly as
    // the check writes it is iptables' own form already, so no scratch is needed;
    // else collect the user-defined chains for the scratch copy.
    `want=${shellQuote(`-A ${o.chain} ${o.written}`)}`,
    `[ $rc -ne 0 ] || while IFS= read -r l; do`,
    `  [ "\${l#\\[*\\] }" != "$want" ] || { echo ${M.fast}; exit 0; }`,
    `  case $l in ':'*' - '*) in+="\${l%% *} - [0:0]"$'\\n' ;; esac`,
    `done <<<"$save"`,
    // A user-defined CHAIN the machine lacks is declared anyway, so its rule is still checked.
    ...(builtin.includes(o.chain) ? [] : [`case "$in" in *${shellQuote(`\n${declare}\n`)}*) ;; *) in+=${shellQuote(declare)}$'\\n' ;; esac`]),
    `chains=${builtin.includes(o.chain) ? '' : '1'}`,
    ...(jump ? [`case "$in" in *${shellQuote(`\n:${jump} - `)}*) chains=1 ;; esac`] : []),
    `printf '%sCOMMIT\\n' "$in" | NSLAB_CHAINS=$chains ${scratch} 2>&1`,
    `echo "${M.scratched} $?"`,
  ].join('\n')
  const exec = await ctx.look({ machine: o.machine, script, timeoutMs: o.timeoutMs, shell: 'bash', quick: true })
  const out = exec.stdout
  const r: RuleLookup = { evidence: [], exec }
  const saved = new RegExp(`^${M.saved} (\\d+)$`, 'm').exec(out)
  if (!saved) {
    r.targetError = (exec.timedOut ? 'it did not answer in time' : exec.stderr.trim() || exec.output.trim()) || `exit ${exec.exitCode}`
    r.evidence.push(ev(o.machine, `${save} -c -t ${T}`, exec.exitCode, exec.output))
    return r
  }
  const saveText = out.slice(0, saved.index)
  const saveRc = Number(saved[1])
  r.evidence.push(ev(o.machine, `${save} -c -t ${T}`, saveRc, saveText))
  if (saveRc !== 0) r.targetError = saveText.trim() || `iptables-save exited ${saveRc}`
  else r.target = parseIptablesSave(saveText)

  const rest = out.slice(saved.index + saved[0].length + 1)
  if (rest.startsWith(`${M.fast}\n`) && r.target) {
    r.canonical = [`-A ${o.chain} ${o.written}`]
    return r
  }
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
