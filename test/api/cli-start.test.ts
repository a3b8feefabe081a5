// The library must not cost the command line anything: the CLI's bundle has
// no zx in it (labHost() alone imports it, from the library's own files).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { requireBuild, ROOT } from '../helpers/learner-cli.js'

requireBuild()
const BIN = join(ROOT, 'dist/bin')
const files = (d: string): string[] => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? files(join(d, e)) : [join(d, e)]))

t.test('no zx in the command line’s bundle', async (t) => {
  for (const f of files(BIN)) {
    const text = readFileSync(f, 'utf8')
    t.notMatch(text, /ProcessPromise|["']zx(\/core)?["']/, `${f.slice(ROOT.length)} has nothing of zx`)
  }
  t.match(readFileSync(join(ROOT, 'dist/runner/api/lab-host.js'), 'utf8'), /import\(['"]zx\/core['"]\)/, 'the library loads it when a lab host is made')
})
