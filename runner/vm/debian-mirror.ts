import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface DebianMirror {
  /** The archive's URI as this machine's apt sources name it, e.g. http://…/debian */
  uri: string
  /** The keyring its sources are signed with, when they say. */
  signedBy?: string
  /** The security archive beside it, when the machine uses one (where a stable release's newest kernel is). */
  securityUri?: string
}

interface Source {
  uris: string[]
  suites: string[]
  signedBy?: string
}

/**
 * The Debian archive this machine's apt already uses, read from its sources
 * (one-line .list files and deb822 .sources files). nslab names no mirror
 * of its own: kernels come from wherever this machine gets its packages.
 * Security and non-Debian archives are passed over.
 */
export function debianMirror(etcApt = '/etc/apt'): DebianMirror | undefined {
  const sources: Source[] = []
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return undefined
    }
  }
  const main = read(join(etcApt, 'sources.list'))
  if (main) sources.push(...parseList(main))
  let names: string[] = []
  try {
    names = readdirSync(join(etcApt, 'sources.list.d')).sort()
  } catch {
    // no folder: only sources.list
  }
  for (const name of names) {
    const text = read(join(etcApt, 'sources.list.d', name))
    if (!text) continue
    if (name.endsWith('.list')) sources.push(...parseList(text))
    else if (name.endsWith('.sources')) sources.push(...parseDeb822(text))
  }
  const isDebian = (s: Source) =>
    s.suites.some((x) => !/-security$/.test(x) && !/^(?:nodistro|stable-security)$/.test(x)) &&
    (s.signedBy === undefined || /debian-archive/.test(s.signedBy))
  const security = sources
    .filter((s) => s.suites.some((x) => /-security$/.test(x)))
    .flatMap((s) => s.uris)
    .find((u) => /^https?:\/\/.*\/debian-security\/?$/.test(u))
  for (const s of sources.filter(isDebian)) {
    const uri = s.uris.find((u) => /^https?:\/\/.*\/debian\/?$/.test(u) && !/security/.test(u))
    if (uri) {
      return {
        uri: uri.replace(/\/+$/, ''),
        ...(s.signedBy ? { signedBy: s.signedBy } : {}),
        ...(security ? { securityUri: security.replace(/\/+$/, '') } : {}),
      }
    }
  }
  return undefined
}

/** `deb [options] URI SUITE COMPONENT…` lines. */
function parseList(text: string): Source[] {
  const out: Source[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line)
    if (!m) continue
    const signed = /signed-by=(\S+)/.exec(m[1] ?? '')
    out.push({ uris: [m[2]!], suites: [m[3]!], ...(signed ? { signedBy: signed[1]! } : {}) })
  }
  return out
}

/** Paragraphs of `Key: value` fields (deb822). */
function parseDeb822(text: string): Source[] {
  const out: Source[] = []
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    let key: string | undefined
    for (const raw of para.split('\n')) {
      if (raw.startsWith('#')) continue
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw)
      if (m) {
        key = m[1]!.toLowerCase()
        fields.set(key, m[2]!)
      } else if (key && /^\s/.test(raw)) fields.set(key, `${fields.get(key) ?? ''}\n${raw.trim()}`)
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue
    const signed = fields.get('signed-by')
    out.push({
      uris: (fields.get('uris') ?? '').split(/\s+/).filter(Boolean),
      suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean),
      // An inline key block is no file path; apt's default keyrings apply then.
      ...(signed && !signed.includes('\n') && signed.startsWith('/') ? { signedBy: signed.trim() } : {}),
    })
  }
  return out
}
