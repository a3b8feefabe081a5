import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import { builtinChains, IPTABLES_TABLES } from './builtin-chains.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { iptablesTool } from './iptables-tool.js'
import { parseIptablesSave } from './parse-iptables-save.js'
import type { ProbeOptions } from './probe-fn.js'

/** `policy TABLE CHAIN TARGET`: the built-in CHAIN's policy on the lab host is TARGET (ACCEPT or DROP). */
export async function policyProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [table, chain, target] = check.args
  if (check.args.length !== 3 || !table || !chain || !target) return invalidProbe('policy needs a table, a chain and a target: "policy filter FORWARD DROP"')
  const builtin = builtinChains(table)
  if (!builtin) return invalidProbe(`"${table}" is not an iptables table (${IPTABLES_TABLES.join(', ')})`)
  const want = target.toUpperCase()
  if (want !== 'ACCEPT' && want !== 'DROP') return invalidProbe(`a chain's policy is ACCEPT or DROP, not ${target}`)
  // With the counters, as a rule check reads the table: a policy and a rule of one table in a block share one read.
  const r = await ctx.look({ machine: 'host', script: `${iptablesTool('iptables-save', ctx.iptables)} -c -t ${shellQuote(table)}`, timeoutMs: opts.timeoutMs, quick: true })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'iptables-save', opts.timeoutMs)
  if (problem) return problem.missing ? invalidProbe(problem.sentence, evidence) : { holds: false, sentence: problem.sentence, evidence }
  if (r.exitCode !== 0) return invalidProbe(`host could not read its ${table} table: ${r.stderr.trim() || `exit ${r.exitCode}`}`, evidence)
  const t = parseIptablesSave(r.stdout).tables.get(table)
  const expected = `${table} ${chain} policy ${want}`
  // A table iptables-nft has not made yet has its built-in chains, accepting.
  const c = t ? t.chains.get(chain) : builtin.includes(chain) ? { name: chain, policy: 'ACCEPT' } : undefined
  if (!c) return { holds: false, sentence: `${table} has no chain ${chain}`, expected, got: `no chain ${chain}`, evidence }
  if (c.policy === null) return invalidProbe(`${table} ${chain} is a user-defined chain, and only built-in chains have a policy`, evidence)
  const got = `${table} ${chain} policy ${c.policy}`
  if (c.policy === want) return { holds: true, sentence: `${table} ${chain} policy is ${c.policy}`, expected, got, evidence }
  return { holds: false, sentence: `${table} ${chain} policy is ${c.policy}, not ${want}`, expected, got, evidence }
}
