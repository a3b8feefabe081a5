import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Folders a lab host replaces with its own (sandbox-script.ts): files there are not seen inside. */
const PRIVATE = ['/tmp', '/var/tmp', '/root', '/srv', '/run', '/dev/shm', '/var/log', '/var/lib/nginx']

/**
 * A folder on the machine's own disk that a lab host sees as it is (for
 * files a test puts there and looks at from inside): the test folder of this
 * checkout, unless the checkout sits in a folder the lab host replaces (a
 * clone in /tmp), then /mnt.
 */
export function outsideDir(): string {
  const here = dirname(dirname(fileURLToPath(import.meta.url)))
  return PRIVATE.some((p) => here === p || here.startsWith(`${p}/`)) ? '/mnt' : here
}
