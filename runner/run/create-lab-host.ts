// The lab host of a lab, by its engine: nslab's own namespaces (netns), or
// those with a real Docker Engine inside (docker), whose code is loaded only
// for a docker-engine lab.
import type { Engine, Topology } from '../lab/lab.js'
import { createSandbox, type Sandbox, type SandboxOptions } from '../host/sandbox.js'

export async function createLabHost(engine: Engine, opts: SandboxOptions & { topology: Topology }): Promise<Sandbox> {
  if (engine !== 'docker') return createSandbox(opts)
  const { createDockerLabHost } = await import('../host/docker/docker-engine.js')
  // A first run builds the images (a few minutes, once): say so rather than seem to hang.
  return createDockerLabHost({ ...opts, note: (line) => process.stderr.write(`nslab: ${line}\n`) })
}
