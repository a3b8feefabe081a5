// Marker files an attack tries to create in the machine's own /tmp, /var/tmp,
// /dev/shm and a home folder: a lab host replaces each of them with its own,
// so a marker that turns up here came out of a lab.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isRoot, OTHER_UID, type As } from './nslab-as.js'

export interface CanaryFiles {
  /** The file name an attack writes (and WORD-inside, which it writes without escaping). */
  word: string
  /** The folders it writes into, as the machine sees them. */
  dirs: string[]
  /** A home folder of the user, in /home, which a lab host overlays ('' when there is none to make). */
  home: string
  /** Markers that reached the machine. */
  found(): string[]
  /** Remove every marker (and the home folder made here). */
  remove(): void
}

/**
 * The home: as root, a folder in /home anyone may write (the lab host's
 * root is an unused uid: only such places are open to it); as the ordinary
 * user, that user's own folder, mode 0700, as a real home is.
 */
export function canaryFiles(as: As, word: string): CanaryFiles {
  let home = ''
  if (isRoot && existsSync('/home') && statSync('/home').isDirectory()) {
    home = mkdtempSync('/home/nslab-attack-')
    if (as === 'user') spawnSync('chown', [`${OTHER_UID}:${OTHER_UID}`, home])
    spawnSync('chmod', [as === 'user' ? '0700' : '0777', home])
  } else if (!isRoot) {
    home = homedir()
  }
  const dirs = ['/tmp', '/var/tmp', '/dev/shm', ...(home ? [home] : [])]
  const files = () => dirs.flatMap((d) => [join(d, word), join(d, `${word}-inside`)])
  return {
    word,
    dirs,
    home,
    found: () => files().filter((f) => existsSync(f)),
    remove() {
      for (const f of files()) rmSync(f, { force: true })
      if (home && home.startsWith('/home/nslab-attack-')) rmSync(home, { recursive: true, force: true })
    },
  }
}
