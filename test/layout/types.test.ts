// The tests are code too: tsc checks them (with runner/ and checks/) as strictly
// as the build checks the code, so that a test cannot drift from the types it
// tests (a renamed field, a context missing a method) and still run.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('the tests type-check (test/tsconfig.json, strict)', { timeout: 600_000 }, async (t) => {
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/tsconfig.json'], { cwd: ROOT, maxBuffer: 16 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    )
  })
  const errors = r.out.split('\n').filter((l) => /error TS\d+/.test(l))
  t.same(errors, [], 'no type error in test/')
  t.equal(r.code, 0, 'tsc exits 0')
})
