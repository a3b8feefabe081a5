import type { ExecResult } from '../runner/host/exec-result.js'
import { randomHex } from '../runner/util/random-hex.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import { truncateOutput } from '../runner/util/truncate-output.js'
import type { CheckContext } from './check-context.js'
import type { Evidence } from './check-result.js'
import { EVIDENCE_MAX_CHARS } from './evidence-of.js'
import { parseNftJson, type NftJson, type NftRule } from './parse-nft-json.js'
import { parseNftList, type NftListedChain, type NftListedRule } from './parse-nft-list.js'

/**
 * The lines that split the script's output, each with a nonce of its own look:
 * what nft prints holds the machine's comments as they are, newlines too, and
 * a learner who cannot guess the nonce cannot forge a line of nslab's.
 */
function markers() {
  const n = randomHex(6)
  const m = (name: string) => `@@NSLAB-${n}-${name}@@`
  return {
    tables: m('TABLES'),
    table: m('TABLE'),
    chain: m('CHAIN'),
    unsafe: m('UNSAFE'),
    skeletonFailed: m('SKELETON-FAILED'),
    noScratch: m('NO-SCRATCH'),
    expected: m('EXPECTED'),
    reparsed: m('REPARSED'),
    scratchJson: m('SCRATCH-JSON'),
    scratched: m('SCRATCHED'),
    fast: m('AS-PRINTED'),
  }
}
type Markers = ReturnType<typeof markers>

/** What nft said when it could not list a table or chain; `missing`: there is no such one. */
export interface NftListError {
  message: string
  missing: boolean
  exitCode: number
}

export interface NftLookup {
  exec: ExecResult
  evidence: Evidence[]
  /** The machine's tables (`nft list tables`), for a check of a table alone. */
  tables?: { family: string; name: string }[]
  /** The machine's table (`nft -j list table`). */
  table?: NftJson
  tableError?: NftListError
  /** The machine's chain as nft prints it (`nft -a list chain`). */
  chain?: NftListedChain
  chainError?: NftListError
  /** The check's rule as nft reads it, in a scratch ruleset: its JSON and how nft prints it. */
  expected?: { rule: NftRule; listed: NftListedRule }
  /** nft refused the check's rule: its own words. */
  rejected?: string
  /** The scratch ruleset could not be made or read. */
  scratchError?: string
  /** The machine's table could not be copied into the scratch (the rule was read in a bare table instead). */
  skeletonError?: string
  /** Handles of the chain's rules that nft prints exactly as the check writes its rule (counts apart): nothing more to read. */
  asPrinted?: number[]
  /** The machine's rules that hold x_tables expressions, as nft reads their printed form again in the scratch: by handle. */
  reparsed: Map<number, NftRule>
}

/**
 * Look at TABLE (and CHAIN) of FAMILY on MACHINE and, for a rule, learn how
 * nft itself reads RULE, in one script of the machine's own programs:
 *
 * 1. `nft -j list table` and `nft -a list chain` on the machine; a rule that
 *    nft prints exactly as RULE is written (counts apart) is RULE in nft's own
 *    words, and nothing more is needed;
 * 2. else in a scratch network namespace (`unshare -n`: an empty ruleset of its
 *    own, nothing of the machine's touched), the machine's table without its
 *    rules (its JSON up to its first rule: nft lists a table's sets, maps and
 *    chains first), so that `@set`, `jump CHAIN` and the chain's hook mean
 *    what they mean there; then `nft add rule … RULE` and that chain listed
 *    back, as JSON and as nft prints it.
 *
 * No grammar of nft here: nft parses the rule and prints it in its own terms.
 * iptables-nft's rules hold x_tables expressions (MASQUERADE, DNAT, addrtype …)
 * whose JSON is only a name; nft prints them through iptables' translation
 * (`masquerade`, `dnat to …`), so those rules are read again from that
 * printed form in the scratch, and compared as what nft says they are.
 */
export async function lookUpNft(
  ctx: CheckContext,
  o: { machine: string; family: string; table: string; chain?: string; rule?: string; timeoutMs: number },
): Promise<NftLookup> {
  const M = markers()
  const where = [o.family, o.table].map(shellQuote).join(' ')
  const chainArgs = o.chain !== undefined ? `${where} ${shellQuote(o.chain)}` : where
  const lines = ['set +e']
  if (o.chain === undefined) {
    lines.push('out=$(nft list tables 2>&1); rc=$?', `printf '%s\\n' "$out"; echo "${M.tables} $rc"`)
  } else {
    lines.push(
      `j=$(nft -j list table ${where} 2>&1); rc=$?`,
      `printf '%s\\n' "$j"; echo "${M.table} $rc"`,
      `a=$(nft -a list chain ${chainArgs} 2>&1); rc=$?`,
      `printf '%s\\n' "$a"; echo "${M.chain} $rc"`,
    )
  }
  if (o.chain !== undefined && o.rule !== undefined) lines.push(...scratchLines(M, o.family, o.table, o.chain, o.rule, chainArgs))
  const exec = await ctx.look({ machine: o.machine, script: lines.join('\n'), timeoutMs: o.timeoutMs, shell: 'bash' })
  return readLookup(M, exec, o, chainArgs)
}

function scratchLines(M: Markers, family: string, table: string, chain: string, rule: string, chainArgs: string): string[] {
  // Chains the rule jumps to are declared in the scratch even where the machine lacks them:
  // the rule is still read, and it matches nothing there, as no such rule can be.
  const jumps = [...rule.matchAll(/\b(?:jump|goto)\s+([A-Za-z_][A-Za-z0-9/\\_.-]*)/g)].map((m) => m[1]!).filter((x) => x !== chain)
  const declare = ['add', 'table', family, table, ';', 'add', 'chain', family, table, chain, ...jumps.flatMap((x) => [';', 'add', 'chain', family, table, x])]
  const inner = [
    'set +e',
    'IFS= read -r skel',
    `if [ -n "$skel" ]; then out=$(printf '%s\\n' "$skel" | nft -j -f - 2>&1) || printf '%s\\n%s\\n' "$out" ${M.skeletonFailed}; fi`,
    // One nft: the table and chains (where the machine's copy lacks them) and the rule, as nft reads RULE.
    `nft ${declare.map(shellQuote).join(' ')} ';' add rule ${chainArgs} ${shellQuote(rule)} 2>&1; rc=$?`,
    `[ $rc -ne 0 ] || nft -a list chain ${chainArgs} 2>&1`,
    `echo "${M.expected} $rc"`,
    '[ $rc -eq 0 ] || exit 0',
    // nft joins its arguments with blanks and reads them as one command: the rule's text is one argument.
    `while IFS=$'\\t' read -r h t; do nft add rule ${chainArgs} "$t" >/dev/null 2>&1; echo "${M.reparsed} $h $?"; done`,
    `nft -j list chain ${chainArgs} 2>&1; echo "${M.scratchJson} $?"`,
  ].join('\n')
  // The JSON's own spelling of a rule's chain and handle: a rule of another chain never holds it.
  const pat = `"chain": ${JSON.stringify(chain)}, "handle": `
  return [
    'js=',
    `while IFS= read -r l; do case $l in '{"nftables": ['*) js=$l ;; esac; done <<<"$j"`,
    // The chain's rules that hold x_tables expressions (iptables-nft's), by handle: one rule a line.
    "xt=' '",
    `pat=${shellQuote(pat)}`,
    `case $js in *'{"xt": {'*) while IFS= read -r l; do`,
    `  case $l in *'{"xt": {'*) ;; *) continue ;; esac`,
    '  h=${l#*"$pat"}; [ "$h" != "$l" ] || continue',
    '  xt+="${h%%[!0-9]*} "',
    `done <<<"$(printf '%s\\n' "$js" | sed 's/{"rule": {/\\n&/g')" ;; esac`,
    // The chain's printed rules. nft prints a string as it is, newlines too (JSON escapes them as \\n):
    // where a string of the table holds one, a printed line may be a piece of it, and no line is taken
    // for a rule; else a handle printed twice is such a piece, and neither line is.
    `want=${shellQuote(rule)}`,
    "hs=() ts=() seen=' ' twice=' ' same=' '",
    `case $js in *'\\n'*) a= ;; esac`,
    'while IFS= read -r l; do',
    `  case $l in $'\\t\\t'*' # handle '*) ;; *) continue ;; esac`,
    `  h=\${l##*' # handle '}`,
    '  case $seen in *" $h "*) twice+="$h "; continue ;; esac',
    '  seen+="$h "',
    `  t=\${l#$'\\t\\t'}; t=\${t%' # handle '*}`,
    // A rule printed exactly as the check writes it (counts apart) is that rule, in nft's own words: no scratch needed.
    '  b=$t; while [[ $b =~ ^(.*)counter\\ packets\\ [0-9]+\\ bytes\\ [0-9]+(.*)$ ]]; do b=${BASH_REMATCH[1]}counter${BASH_REMATCH[2]}; done',
    '  [ "$b" != "$want" ] || same+="$h "',
    '  case $xt in *" $h "*) ;; *) continue ;; esac',
    // What the machine's rule says is read by nft again: never as a second command, an include or a definition.
    `  case $t in *';'*|*include*|*define*) echo "${M.unsafe} $h"; continue ;; esac`,
    '  hs+=("$h"); ts+=("$t")',
    'done <<<"$a"',
    'fast=',
    `for h in $same; do case $twice in *" $h "*) ;; *) case $js in *"$pat$h, "*) fast+=" $h" ;; esac ;; esac; done`,
    `if [ -n "$fast" ]; then echo "${M.fast}$fast"; exit 0; fi`,
    'skel=',
    `case $js in *', {"rule": {'*) skel=\${js%%', {"rule": {'*}']}' ;; *) skel=$js ;; esac`,
    'texts=()',
    `for i in "\${!hs[@]}"; do case $twice in *" \${hs[i]} "*) ;; *) texts+=("\${hs[i]}"$'\\t'"\${ts[i]}") ;; esac; done`,
    `printf '%s\\n' "$skel" "\${texts[@]}" | unshare -n bash --noprofile --norc -c ${shellQuote(inner)} 2>&1`,
    `echo "${M.scratched} $?"`,
  ]
}

/** The text before MARKER's line from `from` on, its number, and where the text after it starts. */
function take(out: string, marker: string, from: number): { text: string; rc: number; next: number } | undefined {
  const m = new RegExp(`^${marker} (-?\\d+)$`, 'm')
  const rest = out.slice(from)
  const hit = m.exec(rest)
  if (!hit) return undefined
  return { text: rest.slice(0, hit.index), rc: Number(hit[1]), next: from + hit.index + hit[0].length + 1 }
}

function listError(text: string, rc: number): NftListError {
  const message = errorOf(text) || `nft exited ${rc}`
  return { message, missing: /^Error: No such file or directory$/m.test(text), exitCode: rc }
}

/** nft's "Error: …" lines, joined; else its output's first line. */
export function errorOf(text: string): string {
  const errors = text.split('\n').filter((l) => l.startsWith('Error: '))
  return (errors.length ? errors.map((l) => l.slice('Error: '.length)).join('; ') : text.trim().split('\n')[0] ?? '').trim()
}

function readLookup(M: Markers, exec: ExecResult, o: { machine: string; family: string; table: string; chain?: string; rule?: string }, chainArgs: string): NftLookup {
  const out = exec.stdout
  const r: NftLookup = { exec, evidence: [], reparsed: new Map() }
  const ev = (command: string, exitCode: number | null, output: string) =>
    r.evidence.push({ machine: o.machine, command, exitCode, output: truncateOutput(output.trim(), EVIDENCE_MAX_CHARS).text })
  const unread = (what: string): NftListError => ({
    message: (exec.timedOut ? 'it did not answer in time' : exec.stderr.trim() || exec.output.trim() || `exit ${exec.exitCode}`) + ` (${what})`,
    missing: false,
    exitCode: exec.exitCode ?? -1,
  })
  if (o.chain === undefined) {
    const t = take(out, M.tables, 0)
    if (!t) {
      r.tableError = unread('nft list tables')
      ev('nft list tables', exec.exitCode, exec.output)
      return r
    }
    ev('nft list tables', t.rc, t.text)
    if (t.rc !== 0) r.tableError = listError(t.text, t.rc)
    else r.tables = [...t.text.matchAll(/^table (\S+) (\S+)$/gm)].map((m) => ({ family: m[1]!, name: m[2]! }))
    return r
  }
  const shownTable = `nft -j list table ${o.family} ${o.table}`
  const shownChain = `nft -a list chain ${chainArgs}`
  const tb = take(out, M.table, 0)
  if (!tb) {
    r.tableError = unread(shownTable)
    ev(shownChain, exec.exitCode, exec.output)
    return r
  }
  if (tb.rc !== 0) r.tableError = listError(tb.text, tb.rc)
  else {
    const j = parseNftJson(tb.text)
    if ('error' in j) r.tableError = { message: j.error, missing: false, exitCode: 0 }
    else r.table = j
  }
  // The table's JSON is for nslab; what a person reads is the chain as nft prints it, or why the table could not be read.
  const ch = take(out, M.chain, tb.next)
  if (!ch) {
    r.chainError = unread(shownChain)
    ev(shownChain, exec.exitCode, exec.output)
    return r
  }
  if (r.tableError) ev(shownTable, tb.rc, tb.text)
  ev(shownChain, ch.rc, ch.text)
  if (ch.rc !== 0) r.chainError = listError(ch.text, ch.rc)
  else r.chain = parseNftList(ch.text)
  if (o.rule === undefined) return r
  const fast = new RegExp(`^${M.fast}((?: \\d+)+)$`, 'm').exec(out.slice(ch.next))
  if (fast) {
    r.asPrinted = fast[1]!.trim().split(' ').map(Number)
    return r
  }

  const shownScratch = `nft add rule ${chainArgs} ${o.rule}; nft -a list chain ${chainArgs}   (in a scratch ruleset of its own)`
  const end = take(out, M.scratched, ch.next)
  const scratch = end ? end.text : out.slice(ch.next)
  let pos = 0
  // Lines before the scratch's own: machine rules not read again.
  const skel = new RegExp(`^${M.skeletonFailed}$`, 'm').exec(scratch)
  if (skel) {
    const before = scratch.slice(0, skel.index).split('\n').filter((l) => !l.startsWith(M.unsafe))
    r.skeletonError = errorOf(before.join('\n')) || 'nft did not take it'
    pos = skel.index + skel[0].length + 1
  }
  const noScratch = new RegExp(`^${M.noScratch}$`, 'm').exec(scratch)
  const exp = take(scratch, M.expected, pos)
  if (noScratch || !exp) {
    const text = noScratch ? scratch.slice(pos, noScratch.index) : scratch.slice(pos)
    r.scratchError = (exec.timedOut ? 'it did not answer in time' : errorOf(text) || exec.stderr.trim()) || `exit ${end?.rc ?? exec.exitCode}`
    ev(shownScratch, end?.rc ?? exec.exitCode, text)
    return r
  }
  const expText = exp.text
    .split('\n')
    .filter((l) => !l.startsWith(M.unsafe))
    .join('\n')
  ev(shownScratch, exp.rc, expText)
  if (exp.rc !== 0) {
    r.rejected = errorOf(expText) || `nft exited ${exp.rc}`
    return r
  }
  const listed = parseNftList(expText).rules[0]
  const js = take(scratch, M.scratchJson, exp.next)
  const jsonText = js ? scratch.slice(exp.next, js.next).split('\n').filter((l) => !l.startsWith(M.reparsed)).join('\n') : ''
  const j = js && js.rc === 0 ? parseNftJson(jsonText) : undefined
  if (!listed || !j || 'error' in j || j.rules.length === 0) {
    r.scratchError = j && 'error' in j ? j.error : js ? errorOf(jsonText) || 'nft took the rule but did not print it back' : 'nft did not list the scratch chain'
    return r
  }
  r.expected = { rule: j.rules[0]!, listed }
  // The scratch's rules after the check's own are the machine's x_tables rules read again, in order, those nft took.
  const took = [...scratch.slice(exp.next).matchAll(new RegExp(`^${M.reparsed} (\\d+) (\\d+)$`, 'gm'))].filter((m) => m[2] === '0').map((m) => Number(m[1]))
  took.forEach((handle, i) => {
    const again = j.rules[i + 1]
    if (again) r.reparsed.set(handle, again)
  })
  return r
}
