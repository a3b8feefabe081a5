// The Docker images a lab may name. A docker-engine lab host is offline: no
// registry, so `docker run nginx` works only with an image nslab built itself
// from Debian's packages (runner/host/docker/build-images.ts) and tagged as a
// Docker tutorial names it. A step, setup or solution that runs or creates a
// container of another image, or pulls one, is a mistake `nslab lint` reports
// with the image's name.

import type { Block } from './lab.js'
import type { Located } from './build-topology.js'
import { suggestion } from '../util/did-you-mean.js'

/** Each image nslab builds, by repository, with the tags it gets. */
export const KNOWN_IMAGES: Record<string, string[]> = {
  busybox: ['latest'],
  nginx: ['latest'],
  debian: ['latest', 'bookworm', '12'],
}

/** The image topology containers run on engine: docker (a `command:` runs in its sh). */
export const MACHINE_IMAGE = 'busybox'

/** "docker.io/library/nginx:latest" → { repo: "nginx", tag: "latest" }; undefined when it is no image reference. */
export function imageReference(ref: string): { repo: string; tag: string } | undefined {
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/i.test(ref)) return undefined
  let r = ref.replace(/@sha256:[0-9a-f]+$/i, '')
  r = r.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '')
  const colon = r.lastIndexOf(':')
  const slash = r.lastIndexOf('/')
  const [repo, tag] = colon > slash ? [r.slice(0, colon), r.slice(colon + 1)] : [r, 'latest']
  return repo ? { repo: repo.toLowerCase(), tag } : undefined
}

/** Whether nslab builds this image (by any of its tags). */
export function isKnownImage(ref: string): boolean {
  const r = imageReference(ref)
  return r !== undefined && (KNOWN_IMAGES[r.repo]?.includes(r.tag) ?? false)
}

/** Options of docker run/create that take a value (the next word, unless written --opt=value). */
const VALUE_OPTIONS = new Set(
  (
    '-a --attach --add-host --blkio-weight --cap-add --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period --cpu-quota ' +
    '--cpu-shares -c --cpus --cpuset-cpus --cpuset-mems --device --device-cgroup-rule --dns --dns-option --dns-search --domainname ' +
    '--entrypoint -e --env --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries ' +
    '--health-start-period --health-timeout -h --hostname --ip --ip6 --ipc --isolation --kernel-memory -l --label --label-file ' +
    '--link --log-driver --log-opt --mac-address -m --memory --memory-reservation --memory-swap --memory-swappiness --mount ' +
    '--name --network --net --network-alias --net-alias --oom-score-adj --pid --pids-limit --platform -p --publish --pull ' +
    '--restart --runtime --security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs --ulimit -u ' +
    '--user --userns --uts -v --volume --volume-driver --volumes-from -w --workdir'
  ).split(' '),
)

/** A script's words, roughly as a shell splits them, with `;`, `|`, `&`, `(`, `)` as words of their own. */
function shellWords(line: string): string[] {
  const words: string[] = []
  let i = 0
  const n = line.length
  while (i < n) {
    const c = line[i]!
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '#') break
    if (';|&()'.includes(c)) {
      words.push(c)
      i++
      continue
    }
    let w = ''
    while (i < n && !' \t;|&()'.includes(line[i]!)) {
      const q = line[i]!
      if (q === "'" || q === '"') {
        const close = line.indexOf(q, i + 1)
        if (close < 0) return words
        w += line.slice(i + 1, close)
        i = close + 1
      } else if (q === '\\' && i + 1 < n) {
        w += line[i + 1]
        i += 2
      } else {
        w += q
        i++
      }
    }
    words.push(w)
  }
  return words
}

/** Images a script runs, creates or pulls: `docker run [options] IMAGE …`, with the line of each. */
export function imagesNamedIn(script: string): { image: string; verb: 'run' | 'create' | 'pull'; offset: number }[] {
  const found: { image: string; verb: 'run' | 'create' | 'pull'; offset: number }[] = []
  // A backslash at the end of a line continues it.
  const lines = script.split('\n')
  let offset = 0
  for (let li = 0; li < lines.length; li++) {
    let text = lines[li]!
    const at = offset
    while (text.endsWith('\\') && li + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++li]!
    offset = li + 1
    if (!text.includes('docker')) continue
    const words = shellWords(text)
    for (let i = 0; i < words.length; i++) {
      // docker as a command: first, or after an operator or a word that runs what follows (not `echo docker …`).
      if (words[i] !== 'docker' || (i > 0 && !COMMAND_BEFORE.has(words[i - 1]!))) continue
      let j = i + 1
      // Options of docker itself (-H, --context …) before the command: not in labs; stop at them.
      if (words[j] === 'container' || words[j] === 'image') j++
      const verb = words[j]
      if (verb !== 'run' && verb !== 'create' && verb !== 'pull') continue
      for (j++; j < words.length; j++) {
        const w = words[j]!
        if (';|&()'.includes(w)) break
        if (w === '--') continue
        if (w.startsWith('-')) {
          if (w.includes('=')) continue
          if (VALUE_OPTIONS.has(w)) {
            j++
            continue
          }
          // A short cluster (-it, -d) or a flag: no value. An unknown long option might take one: give up here.
          if (w.startsWith('--') && !BOOLEAN_OPTIONS.has(w)) break
          continue
        }
        // A variable or a substitution stands for an image nslab cannot know.
        if (!/[$`*?]/.test(w)) found.push({ image: w, verb, offset: at })
        break
      }
    }
  }
  return found
}

const COMMAND_BEFORE = new Set([';', '|', '&', '(', ')', '!', 'sudo', 'exec', 'then', 'do', 'else', 'time', 'nohup', 'command'])

const BOOLEAN_OPTIONS = new Set(
  '--detach --interactive --tty --rm --init --privileged --publish-all --read-only --sig-proxy --no-healthcheck --oom-kill-disable --disable-content-trust --quiet --all-tags'.split(' '),
)

/** Problems of a lab's scripts: an image nslab cannot build, or a pull (no registry). */
export function imageProblems(blocks: Block[]): Located[] {
  const problems: Located[] = []
  const names = Object.entries(KNOWN_IMAGES).flatMap(([repo, tags]) => [repo, ...tags.map((t) => `${repo}:${t}`)])
  for (const b of blocks) {
    if (b.kind !== 'script') continue
    for (const f of imagesNamedIn(b.content)) {
      const line = b.contentLine + f.offset
      if (f.verb === 'pull') {
        problems.push({ line, message: `docker pull ${f.image}: a lab host has no registry to pull from; the images nslab builds (${Object.keys(KNOWN_IMAGES).join(', ')}) are there already` })
      } else if (!isKnownImage(f.image)) {
        const hint = suggestion(f.image, names)
        problems.push({
          line,
          message: `unknown image "${f.image}"${hint || ''}: a lab host is offline, and nslab builds only ${Object.entries(KNOWN_IMAGES)
            .map(([repo, tags]) => `${repo} (${tags.map((t) => `:${t}`).join(' ')})`)
            .join(', ')}`,
        })
      }
    }
  }
  return problems
}
