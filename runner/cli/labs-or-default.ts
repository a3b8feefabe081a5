import { defaultLabFolder } from '../lab/resolve-lab-path.js'
import { NslabError } from '../util/nslab-error.js'

/**
 * The labs a command was given, or labs/ here when none; without one, a
 * single line that says what to type (a fresh folder is no usage error to
 * lecture about).
 */
export function labsOrDefault(paths: string[], command: string): string[] {
  if (paths.length) return paths
  const here = defaultLabFolder()
  if (here) return [here]
  throw new NslabError({
    code: 'NOT_FOUND',
    message: `no labs/ folder here: name a lab file, a folder, or a lab by name (${command} snat-outbound; nslab labs lists them)`,
  })
}
