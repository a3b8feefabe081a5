// The entry of the program a VM runs. The build bundles it with all it
// imports into one CommonJS file, dist/vm-guest.cjs: under software
// emulation, Node's ES module loader and a file per module cost seconds
// (3.5 s for the runner's 60 modules over 9p); one CommonJS file loads in
// about 0.1 s beyond Node's own start.
import { main } from './vm-guest.js'

main(process.argv.slice(2)).then(
  // Its job is done and said: the VM powers off now, not once the last timer
  // of a closing grader has run out (5 s under emulation).
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`nslab vm-guest: ${String(e)}\n`)
    process.exit(70)
  },
)
