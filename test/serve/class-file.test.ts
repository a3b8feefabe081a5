// The class file of nslab serve --workshop: labs by bundled name or path,
// learners by name or count, limits; every problem at its line.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseClassText, readClassFile, WORKSHOP_LIMITS } from '../../runner/serve/class-file.js'
import { ROOT } from '../helpers/learner-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'nslab-class-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, 'class.yaml')
writeFileSync(join(dir, 'mine.md'), '---\ntitle: Mine\n---\n')

t.test('the simplest class: bundled labs, named learners', async (t) => {
  const c = parseClassText('labs: [snat-outbound, dnat-port-forward]\nlearners: [ada, bob, cy]\n', file)
  if ('problems' in c) return t.fail(JSON.stringify(c.problems))
  t.same(c.labs, [join(ROOT, 'labs/snat-outbound.md'), join(ROOT, 'labs/dnat-port-forward.md')], "nslab's own labs by name")
  t.same(c.learners, ['ada', 'bob', 'cy'])
  t.same(c.limits, WORKSHOP_LIMITS, 'default limits')
  t.equal(c.title, 'Workshop')
})

t.test('a count of seats, a lab by path, limits', async (t) => {
  const c = parseClassText('title: Friday\nlabs: [./mine.md]\nlearners: 12\nlimits: { procs: 128, memory: 256M, cpus: 0.25 }\n', file)
  if ('problems' in c) return t.fail(JSON.stringify(c.problems))
  t.same(c.labs, [join(dir, 'mine.md')], 'a path from the class file’s folder')
  t.equal(c.learners.length, 12)
  t.equal(c.learners[0], 'seat-01')
  t.equal(c.learners[11], 'seat-12')
  t.same(c.limits, { maxProcs: 128, memoryBytes: 256 * 1024 ** 2, cpus: 0.25 })
  t.equal(c.title, 'Friday')
})

t.test('every problem, each at its line', async (t) => {
  const text = ['title: x', 'labs:', '  - snat-outbound', '  - no-such-lab', 'learners:', '  - ada', '  - "bad name"', '  - ada', '  - instructor', 'limits:', '  memroy: 1G', '  cpus: 0', 'sesion: 3', ''].join('\n')
  const c = parseClassText(text, file)
  t.ok('problems' in c, 'refused')
  if (!('problems' in c)) return
  const lines = c.problems.map((p) => `${p.line}: ${p.message}`)
  t.match(lines.join('\n'), /^11: unknown key "memroy" in limits \(did you mean "memory"\?\)/m, 'a misspelt key, with the one meant')
  t.match(lines.join('\n'), /^13: unknown key "sesion"/m)
  const c2 = parseClassText(text.replace('  memroy: 1G\n', '').replace('sesion: 3\n', ''), file)
  t.ok('problems' in c2)
  if (!('problems' in c2)) return
  const l2 = c2.problems.map((p) => `${p.line}: ${p.message}`).join('\n')
  t.match(l2, /^4: no such lab: no-such-lab/m, 'a lab that is not there, at its line')
  t.match(l2, /^7: "bad name" is not a name/m)
  t.match(l2, /^8: ada is named twice/m)
  t.match(l2, /^9: "instructor" is the instructor's link/m)
  t.match(l2, /^11: limits\.cpus: a number of CPUs above 0/m)
})

t.test('missing keys, wrong shapes, bad YAML', async (t) => {
  const problems = (text: string) => {
    const c = parseClassText(text, file)
    return 'problems' in c ? c.problems.map((p) => `${p.line}: ${p.message}`).join('\n') : 'ok'
  }
  t.match(problems('learners: 3\n'), /labs is missing/)
  t.match(problems('labs: [snat-outbound]\n'), /learners is missing/)
  t.match(problems('labs: [snat-outbound]\nlearners: many\n'), /^2: learners is a list of names/m)
  t.match(problems('labs: [snat-outbound]\nlearners: 0\n'), /^2: learners: a whole number of seats from 1 to 200/m)
  t.match(problems('labs: [snat-outbound]\nlearners: 1000\n'), /shard the class/)
  t.match(problems('labs: [snat-outbound\nlearners: 3\n'), /not valid YAML/)
  t.match(problems('- a\n- b\n'), /^1: a class file is keys and values/m)
})

t.test('readClassFile: one error naming file:line', async (t) => {
  writeFileSync(file, 'labs: [snat-outbound]\nlearners: [ada, ada]\n')
  t.throws(() => readClassFile(file), { code: 'USAGE', line: 2, message: new RegExp(`${file.replace(/[.]/g, '\\.')}:2: ada is named twice`) })
  t.throws(() => readClassFile(join(dir, 'none.yaml')), { code: 'NOT_FOUND' })
})
