// What a grading worker's docker-engine lab host leaves in the cgroup
// hierarchies when the worker is ended before its teardown (the submission's
// time limit, a limit that killed it, Ctrl-C): the lab host's cgroup tree
// (docker-cgroups.ts), named nslab-docker-WORKERPID-…, under the worker's
// cgroup in every hierarchy — the submission's in pids, memory and cpu (which
// cannot be removed while the tree is in it), this process's in the others
// (the worker was born there). Ended and removed after each submission of a
// docker-engine lab: a worker that answered holds no lab host then, so this
// finds nothing of a live one.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cgroupLayout, releaseCgroupTrees } from '../host/docker/docker-cgroups.js'

/** End what is left in a worker's lab host cgroups and remove them; the folders found. */
export async function releaseWorkerCgroups(workerPid: number, submissionDirs: string[]): Promise<string[]> {
  const trees = workerCgroups(workerPid, submissionDirs)
  if (trees.length) await releaseCgroupTrees(trees)
  return trees
}

/** The top folders of the lab host cgroup trees a worker made, in every hierarchy. */
export function workerCgroups(workerPid: number, submissionDirs: string[]): string[] {
  const layout = cgroupLayout()
  const parents = new Set(submissionDirs)
  if (!('unavailable' in layout)) for (const f of layout.found) parents.add(`${f.mount}${f.own === '/' ? '' : f.own}`)
  const prefix = `nslab-docker-${workerPid}-`
  const found: string[] = []
  for (const dir of parents) {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith(prefix)) found.push(join(dir, e.name))
    } catch {
      // not there (a hierarchy not mounted, a submission's folder gone)
    }
  }
  return found
}
