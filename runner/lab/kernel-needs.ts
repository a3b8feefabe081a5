// What a lab needs of the kernel beyond what every lab host needs: front
// matter `kernel: {modules: [sch_netem]}`. Only modules nslab knows are
// accepted, each with the config option that builds it, so that a misspelt
// name is caught by lint and the machine can be asked truthfully (its
// config, its modules folder, /sys/module: runner/host/kernel-features.ts).

import { suggestion } from '../util/did-you-mean.js'

/** Kernel modules a lab may need, and the config option of each (built in or a module: both will do). */
export const KERNEL_MODULES: Readonly<Record<string, string>> = {
  // Queueing disciplines, classifiers and actions (tc).
  sch_netem: 'CONFIG_NET_SCH_NETEM',
  sch_htb: 'CONFIG_NET_SCH_HTB',
  sch_tbf: 'CONFIG_NET_SCH_TBF',
  sch_prio: 'CONFIG_NET_SCH_PRIO',
  sch_sfq: 'CONFIG_NET_SCH_SFQ',
  sch_fq: 'CONFIG_NET_SCH_FQ',
  sch_fq_codel: 'CONFIG_NET_SCH_FQ_CODEL',
  sch_cake: 'CONFIG_NET_SCH_CAKE',
  sch_ingress: 'CONFIG_NET_SCH_INGRESS',
  cls_u32: 'CONFIG_NET_CLS_U32',
  cls_flower: 'CONFIG_NET_CLS_FLOWER',
  cls_bpf: 'CONFIG_NET_CLS_BPF',
  act_mirred: 'CONFIG_NET_ACT_MIRRED',
  ifb: 'CONFIG_IFB',
  // Links.
  vxlan: 'CONFIG_VXLAN',
  geneve: 'CONFIG_GENEVE',
  wireguard: 'CONFIG_WIREGUARD',
  macvlan: 'CONFIG_MACVLAN',
  ipvlan: 'CONFIG_IPVLAN',
  '8021q': 'CONFIG_VLAN_8021Q',
  dummy: 'CONFIG_DUMMY',
  ipip: 'CONFIG_NET_IPIP',
  ip_gre: 'CONFIG_NET_IPGRE',
  vrf: 'CONFIG_NET_VRF',
  bonding: 'CONFIG_BONDING',
  // Netfilter beyond Docker's.
  br_netfilter: 'CONFIG_BRIDGE_NETFILTER',
  ip_vs: 'CONFIG_IP_VS',
  xt_statistic: 'CONFIG_NETFILTER_XT_MATCH_STATISTIC',
  nf_conntrack_netlink: 'CONFIG_NF_CT_NETLINK',
}

export const KERNEL_MODULE_NAMES = Object.keys(KERNEL_MODULES)

/** What a lab needs of the kernel (front matter `kernel:`). */
export interface KernelNeeds {
  /** Modules, by name: loaded, loadable or built in. */
  modules: string[]
}

export interface KernelNeedsInput {
  /** The front matter's `kernel` value. */
  value: unknown
  /** The line of a key of `kernel` (or of `kernel` itself when undefined). */
  lineOf: (key?: string) => number
  /** The line of the i-th module of `kernel.modules`. */
  moduleLineOf: (i: number) => number
}

const EXAMPLE = 'kernel: {modules: [sch_netem]}'

/** The lab's kernel needs from the front matter, or what is wrong, at its line. */
export function readKernelNeeds(input: KernelNeedsInput): { needs?: KernelNeeds; problems: { line: number; message: string }[] } {
  const problems: { line: number; message: string }[] = []
  const v = input.value
  if (v === undefined || v === null) return { problems }
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.push({ line: input.lineOf(), message: `kernel is a map of what the lab needs of the kernel, e.g. ${EXAMPLE}, not ${describe(v)}` })
    return { problems }
  }
  const modules: string[] = []
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (key !== 'modules') {
      problems.push({ line: input.lineOf(key), message: `unknown key "${key}" in kernel${suggestion(key, ['modules']) || '; it takes modules'}` })
      continue
    }
    if (!Array.isArray(value) || value.length === 0) {
      problems.push({ line: input.lineOf(key), message: `kernel.modules is a list of kernel modules, e.g. [sch_netem], not ${describe(value)}` })
      continue
    }
    value.forEach((m, i) => {
      const line = input.moduleLineOf(i)
      if (typeof m !== 'string') {
        problems.push({ line, message: `a kernel module is a name such as sch_netem, not ${describe(m)}` })
        return
      }
      const name = m.trim()
      if (!Object.hasOwn(KERNEL_MODULES, name)) {
        // A qdisc by tc's name (netem) is the module sch_netem.
        const qdisc = Object.hasOwn(KERNEL_MODULES, `sch_${name}`) ? ` (did you mean "sch_${name}"?)` : ''
        const hint = qdisc || suggestion(name, KERNEL_MODULE_NAMES) || suggestion(name.replace(/-/g, '_'), KERNEL_MODULE_NAMES)
        problems.push({ line, message: `unknown kernel module "${name}"${hint || `; nslab knows ${KERNEL_MODULE_NAMES.join(', ')}`}` })
        return
      }
      if (modules.includes(name)) problems.push({ line, message: `the kernel module ${name} is given twice` })
      else modules.push(name)
    })
  }
  if (!problems.length && !Object.hasOwn(v, 'modules')) problems.push({ line: input.lineOf(), message: `kernel says which modules the lab needs, e.g. ${EXAMPLE}` })
  return problems.length || modules.length === 0 ? { problems } : { needs: { modules }, problems }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list'
  if (typeof v === 'object') return 'a map'
  return String(v)
}
