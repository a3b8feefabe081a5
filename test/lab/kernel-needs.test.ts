// Front matter `kernel: {modules: […]}`: what a lab needs of the kernel,
// read into the Lab, and every mistake at its line as lint reports it.
import t from 'tap'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { labDiagnostics } from '../../runner/lab/lab-diagnostics.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { KERNEL_MODULES } from '../../runner/lab/kernel-needs.js'

/** A lab whose front matter ends with `kernel` as given (its lines from line 7 on). */
const lab = (kernel: string) => `---
title: A lab
topology:
  docker: true
  containers: [box1, box2]
${kernel}
---

\`\`\`check
ping box1 box2
\`\`\`
`
const problemsOf = (kernel: string) => parseLab(lab(kernel), 'lab.md').problems.map(formatProblem)

t.test('the modules a lab needs are read into the Lab', async (t) => {
  t.same(parseLab(lab('kernel:\n  modules: [sch_netem]'), 'lab.md').lab?.kernel, { modules: ['sch_netem'] })
  t.same(parseLab(lab('kernel:\n  modules:\n    - sch_netem\n    - sch_htb'), 'lab.md').lab?.kernel, { modules: ['sch_netem', 'sch_htb'] })
  t.same(parseLab(lab('kernel: {modules: [vxlan]}'), 'lab.md').lab?.kernel, { modules: ['vxlan'] })
  t.equal(parseLab(lab('summary: no kernel key'), 'lab.md').lab?.kernel, undefined, 'absent: nothing beyond every lab host')
  t.equal(KERNEL_MODULES.sch_netem, 'CONFIG_NET_SCH_NETEM')
})

t.test('mistakes, each at its line, with a did-you-mean', async (t) => {
  t.same(problemsOf('kernel:\n  modules: [sch_netme]'), ['lab.md:7: unknown kernel module "sch_netme" (did you mean "sch_netem"?)'])
  t.same(problemsOf('kernel:\n  modules: [sch-netem]'), ['lab.md:7: unknown kernel module "sch-netem" (did you mean "sch_netem"?)'])
  t.same(problemsOf('kernel:\n  modules:\n    - sch_netem\n    - netem'), ['lab.md:9: unknown kernel module "netem" (did you mean "sch_netem"?)'])
  t.match(problemsOf('kernel:\n  modules: [floppy]')[0], /^lab\.md:7: unknown kernel module "floppy"; nslab knows sch_netem, sch_htb, /)
  t.same(problemsOf('kernel:\n  modules: [sch_netem, sch_netem]'), ['lab.md:7: the kernel module sch_netem is given twice'])
  t.same(problemsOf('kernel:\n  moduels: [sch_netem]'), ['lab.md:7: unknown key "moduels" in kernel (did you mean "modules"?)'])
  t.same(problemsOf('kernel:\n  modules: sch_netem'), ['lab.md:7: kernel.modules is a list of kernel modules, e.g. [sch_netem], not "sch_netem"'])
  t.same(problemsOf('kernel:\n  modules: []'), ['lab.md:7: kernel.modules is a list of kernel modules, e.g. [sch_netem], not an empty list'])
  t.same(problemsOf('kernel: sch_netem'), ['lab.md:6: kernel is a map of what the lab needs of the kernel, e.g. kernel: {modules: [sch_netem]}, not "sch_netem"'])
  t.same(problemsOf('kernel: {}'), ['lab.md:6: kernel says which modules the lab needs, e.g. kernel: {modules: [sch_netem]}'])
  t.same(problemsOf('kernel:\n  modules: [3]'), ['lab.md:7: a kernel module is a name such as sch_netem, not 3'])
  t.same(problemsOf('kernle:\n  modules: [sch_netem]'), ['lab.md:6: unknown key "kernle" (did you mean "kernel"?)'])
})

t.test('lint: a kernel key after topology is the front matter\'s, not the topology\'s', async (t) => {
  const text = lab('kernel:\n  modules: [sch_netme]')
  const { problems } = parseLab(text, 'lab.md')
  const [d] = labDiagnostics(problems, () => text)
  t.match(d, { line: 7, column: 13, rule: 'front-matter', message: 'unknown kernel module "sch_netme" (did you mean "sch_netem"?)' })
  const topo = parseLab(lab('kernel:\n  modules: [sch_netem]').replace('containers: [box1, box2]', 'containers: [box1, box1]'), 'lab.md')
  const [dt] = labDiagnostics(topo.problems, () => lab('kernel:\n  modules: [sch_netem]').replace('containers: [box1, box2]', 'containers: [box1, box1]'))
  t.equal(dt?.rule, 'topology', 'a problem inside topology is still the topology\'s')
})
