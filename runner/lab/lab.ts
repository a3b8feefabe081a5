// The typed form of a lab file (../shared/LAB-FORMAT.md). The parser builds
// it; everything else reads it. Lines are 1-based lines of the file.

import type { KernelNeeds } from './kernel-needs.js'

/** What builds the lab host: namespaces made by nslab (netns), or a real Docker Engine in them (docker). */
export type Engine = 'netns' | 'docker'
/** The language of a lab's prose (front matter `lang:`): `en` unless it says otherwise. */
export type LabLang = 'en' | 'zh'

export interface Publish {
  hostPort: number
  containerPort: number
  protocol: 'tcp' | 'udp'
  /** The `-p` text as written, e.g. "8080:80". */
  spec: string
  /** The host address it is published on ("127.0.0.1:8080:80"); absent: every address. */
  hostIp?: string
}

/** A container's place on one network: the network's name ("bridge" for docker0, as Docker calls it) and its address there. */
export interface Attachment {
  network: string
  ip: string
}

/** A user-defined Docker network (`docker network create`): a bridge br-… of its own. */
export interface Network {
  /** As `docker network create NAME` names it. */
  name: string
  /** Its bridge: br- and 12 hex digits, its gateway address and subnet. */
  bridge: Bridge
  /** Containers on it may talk to each other (com.docker.network.bridge.enable_icc); true unless the lab says false. */
  icc: boolean
  line: number
}

export interface Container {
  name: string
  /** Given in the lab or handed out in order from the bridge's subnet (on its first network). */
  ip: string
  /**
   * Every network it is on, in the order it joins them (eth0, eth1, …), when it names them
   * (`networks:`); absent: docker0 (or the lab's own bridge) alone, at `ip`.
   */
  networks?: Attachment[]
  publish: Publish[]
  command?: string
  line: number
}

export interface Bridge {
  name: string
  /** The bridge's own address, e.g. 172.17.0.1 */
  address: string
  /** Prefix length, e.g. 16 */
  prefix: number
  /** The subnet, e.g. 172.17.0.0/16 */
  subnet: string
}

export interface Topology {
  docker: boolean
  /** docker0 172.17.0.1/16 when docker is true; undefined on an empty host. */
  bridge?: Bridge
  containers: Container[]
  /** false: containers on docker0 may not talk to each other (dockerd --icc=false); absent: they may. */
  icc?: boolean
  /**
   * false: published ports are DNAT rules alone, no docker-proxy (dockerd --userland-proxy=false):
   * docker0 gets route_localnet and the host's own connections to localhost are masqueraded (hairpin). Absent: the proxy.
   */
  userlandProxy?: boolean
  /** User-defined Docker networks, in the order they are created (needs docker: true). */
  networks?: Network[]
  internet: boolean
  /**
   * Kernel settings of the lab host, in the order they are made: the distro's
   * (front matter `sysctl: {defaults: …}`), then the lab's own. Absent: none
   * (a namespace's own defaults).
   */
  sysctl?: SysctlSetting[]
}

export interface SysctlSetting {
  /** net.ipv4.conf.default.rp_filter */
  key: string
  value: string
  /** The lab's own (its front matter line), or undefined for the distro's, which are set where they can be. */
  line?: number
}

export type ScriptRole = 'step' | 'setup' | 'solution'

interface BlockBase {
  /** Line of the opening fence. */
  line: number
  /** Line of the first content line (line + 1). */
  contentLine: number
  /** The info string as written. */
  info: string
  content: string
  /** Markdown prose between the previous block (or the front matter) and this one. */
  prose: string
}

export interface ScriptBlock extends BlockBase {
  kind: 'script'
  role: ScriptRole
  lang: string
  /** Machine the script runs on: 'host', a container's name, or 'internet'. */
  on: string
  /** Exit status it must end with; 'any' accepts every status. */
  exit: number | 'any'
  timeoutMs: number
  background: boolean
  /** Solutions: the name a learner's answer is filed under; steps: the name a check block's after= uses. */
  id?: string
}

export interface OutputBlock extends BlockBase {
  kind: 'output'
  /** Expected lines; '...' matches any number of lines, '{*}' any text within one. */
  lines: string[]
}

export interface CheckBlock extends BlockBase {
  kind: 'check'
  hint?: string
  /** The id= of the step nslab prove omits to show these checks can fail (instead of the one it would pick). */
  after?: string
  checks: Check[]
}

/** A fenced block that is only shown (no role), or with an unknown LANG and no role. */
export interface ShownBlock extends BlockBase {
  kind: 'shown'
  lang: string
}

export type Block = ScriptBlock | OutputBlock | CheckBlock | ShownBlock

export type CheckVerb =
  | 'ping'
  | 'http'
  | 'rule'
  | 'nft'
  | 'policy'
  | 'addr'
  | 'master'
  | 'route'
  | 'sysctl'
  | 'netns'
  | 'conntrack'
  | 'exit'
  | 'stdout'
  | 'sh'

export interface Check {
  verb: CheckVerb
  negated: boolean
  /** Positional arguments after the verb, unquoted (an nft check's rule words as written: nft's own quotes). */
  args: string[]
  /** key=value options (within, status, contains, min-packets, …), unquoted. */
  options: Record<string, string>
  /** Retry window in ms (`within=`, default 2000). */
  withinMs: number
  line: number
  /** The line as written, trimmed. */
  source: string
}

export interface Lab {
  file: string
  title: string
  summary?: string
  engine: Engine
  /** Absent means `en` (a Lab built by hand, not read from a file). */
  lang?: LabLang
  /** Default time limit of one step. */
  timeoutMs: number
  topology: Topology
  /** What the lab needs of the kernel (front matter `kernel:`); absent: nothing beyond every lab host's. */
  kernel?: KernelNeeds
  blocks: Block[]
  /** Markdown after the last block. */
  epilogue: string
}

/** Machines a lab has: 'host', its containers, and 'internet' when it has one. */
export function machinesOf(topology: Topology): string[] {
  return [
    'host',
    ...topology.containers.map((c) => c.name),
    ...(topology.internet ? ['internet'] : []),
  ]
}
