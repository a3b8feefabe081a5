// Whether the kernel has a module a lab needs: read from /sys/module, the
// running kernel's modules folder and its config, each source alone in a
// folder laid out as a machine's, then on this machine's own kernel.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { kernelLacks, missingKernelModules, requireKernel } from '../../runner/host/kernel-features.js'

const REL = '6.1.0-57-amd64'
/** Lines of bookworm's own modules.dep and config (~/.cache/nslab/kernels/bookworm), trimmed to what is asked. */
const DEP = 'kernel/net/sched/sch_htb.ko:\nkernel/net/sched/sch_netem.ko:\nkernel/drivers/net/vxlan/vxlan.ko: kernel/net/ipv4/udp_tunnel.ko kernel/net/ipv6/ip6_udp_tunnel.ko\n'
const CONFIG_HAS = 'CONFIG_NET_SCH_HTB=m\nCONFIG_NET_SCH_NETEM=m\n'
const CONFIG_LACKS = 'CONFIG_NET_SCH_HTB=y\n# CONFIG_NET_SCH_NETEM is not set\n'

t.test('each source of the answer', async (t) => {
  const ask = (files: Parameters<typeof t.testdir>[0], names = ['sch_netem', 'sch_htb', 'vxlan']) => missingKernelModules(names, { release: REL, root: t.testdir(files) })
  t.same(ask({ proc: { 'config.gz': gzipSync(CONFIG_LACKS) } }, ['sch_netem', 'sch_htb']), ['sch_netem'], '/proc/config.gz: "is not set" lacks it, =y has it')
  t.same(ask({ proc: { 'config.gz': gzipSync(CONFIG_HAS) } }, ['sch_netem', 'sch_htb']), [], '=m has it')
  t.same(ask({ boot: { [`config-${REL}`]: CONFIG_LACKS } }, ['sch_netem']), ['sch_netem'], '/boot/config-RELEASE when there is no /proc/config.gz')
  t.same(ask({ boot: { 'config-5.10.0-1-amd64': CONFIG_LACKS } }, ['sch_netem']), [], "another kernel's config says nothing of this one")
  t.same(ask({ proc: { 'config.gz': gzipSync(CONFIG_LACKS) }, sys: { module: { sch_netem: {} } } }, ['sch_netem']), [], '/sys/module: loaded, whatever the config says')
  t.same(ask({ lib: { modules: { [REL]: { 'modules.dep': DEP, 'modules.builtin': '' } } } }), [], 'modules.dep: loadable')
  t.same(ask({ lib: { modules: { [REL]: { 'modules.dep': 'kernel/net/sched/sch_htb.ko:\n', 'modules.builtin': 'kernel/drivers/net/vxlan/vxlan.ko\n' } } } }), ['sch_netem'], 'a modules folder that lists neither lacks it; modules.builtin: built in')
  t.same(ask({ lib: { modules: { [REL]: { 'modules.dep': 'kernel/net/sched/sch_netem.ko.xz:\n' } } } }, ['sch_netem']), [], 'compressed modules (.ko.xz) count')
  t.same(ask({}), [], 'a machine that says nothing: taken to have it (the lab then fails for what is really missing)')
})

const config = existsSync('/proc/config.gz') ? execFileSync('zcat', ['/proc/config.gz'], { encoding: 'utf8' }) : ''
const lacksNetem = /^# CONFIG_NET_SCH_NETEM is not set$/m.test(config) && !existsSync('/sys/module/sch_netem')

t.test("this machine's kernel", { skip: config ? false : 'no /proc/config.gz here to compare with' }, async (t) => {
  for (const name of ['sch_netem', 'sch_htb', 'sch_tbf', 'vxlan']) {
    const option = { sch_netem: 'CONFIG_NET_SCH_NETEM', sch_htb: 'CONFIG_NET_SCH_HTB', sch_tbf: 'CONFIG_NET_SCH_TBF', vxlan: 'CONFIG_VXLAN' }[name]!
    const has = new RegExp(`^${option}=[ym]$`, 'm').test(config) || existsSync(`/sys/module/${name}`) || existsSync(`/lib/modules/${release()}/modules.dep`) && readFileSync(`/lib/modules/${release()}/modules.dep`, 'utf8').includes(`/${name}.ko`)
    t.equal(missingKernelModules([name]).length === 0, has, `${name}: ${has ? 'has it' : 'lacks it'}, as zcat /proc/config.gz says`)
  }
  t.equal(kernelLacks({ file: 'labs/plain.md' }), undefined, 'a lab that needs nothing')
})

t.test('the sentence, and exit 3', { skip: lacksNetem ? false : "this machine's kernel has sch_netem" }, async (t) => {
  const lab = { file: 'labs/netem.md', kernel: { modules: ['sch_netem'] } }
  t.equal(
    kernelLacks(lab),
    `labs/netem.md needs the kernel module sch_netem (CONFIG_NET_SCH_NETEM), which this machine's kernel (Linux ${release()}) lacks: run it in a VM on a kernel that has it, nslab run --kernel debian:bookworm labs/netem.md`,
  )
  t.throws(() => requireKernel(lab), { name: 'NslabError', code: 'PREREQUISITE', exitCode: 3 })
  t.equal(missingKernelModules(['sch_netem']).length, 1, 'asked again: the same, from the cache')
})
