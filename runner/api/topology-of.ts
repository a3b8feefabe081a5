import type { Topology } from '../lab/lab.js'
import { readFrontMatter } from '../lab/front-matter.js'
import { LineIndex } from '../lab/line-index.js'
import { NslabError } from '../util/nslab-error.js'

/** A lab host's machines, written as a lab's front matter writes `topology:`. */
export interface TopologyOptions {
  /** docker0 (172.17.0.1/16) and Docker 20.10's nat and filter rules. */
  docker?: boolean
  /** A bridge of its own instead of docker0, e.g. "br0 10.0.0.1/24". */
  bridge?: string
  /** Container names, or a map of name → settings (ip, publish ["8080:80"], command). */
  containers?: string[] | Record<string, { ip?: string; publish?: string[]; command?: string } | null>
  /** The `internet` machine (203.0.113.10, 198.51.100.0/24 between it and the host). */
  internet?: boolean
}

/**
 * The topology, checked by the lab format's own front matter reader (a
 * topology is JSON, and JSON is YAML): a mistake gets the message `nslab lint`
 * gives for it in a lab.
 */
export function topologyOf(options: TopologyOptions): Topology {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new NslabError({ code: 'USAGE', message: 'labHost takes a lab file or a topology such as { docker: true, containers: ["box1"], internet: true }' })
  }
  const text = `---\ntitle: lab host\ntopology: ${JSON.stringify(options)}\n---\n`
  const r = readFrontMatter(text, new LineIndex(text))
  if (!r.meta) {
    const problems = r.problems.map((p) => p.message)
    throw new NslabError({ code: 'LAB_INVALID', message: `invalid topology: ${problems.join('; ')}` })
  }
  return r.meta.topology
}
