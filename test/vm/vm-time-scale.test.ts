// A matrix VM's time scale: emulation's ×4, times how busy this machine is
// (load average per CPU, from 1 to 4). Under a load of 11 on 2 CPUs a TCG
// guest missed a 11.4 s check window in labs/netns-from-scratch.md that it
// meets on a quiet machine (docs/kernel-matrix.md); the limits now stretch.
import t from 'tap'
import { hostContention, MAX_CONTENTION, TCG_TIME_SCALE, vmTimeScale } from '../../runner/vm/vm-time-scale.js'

t.test('contention: load per CPU, at least 1, at most MAX_CONTENTION', async (t) => {
  t.equal(hostContention(0.3, 2), 1, 'a quiet machine: no stretch')
  t.equal(hostContention(2, 2), 1)
  t.equal(hostContention(11, 2), 4, 'capped')
  t.equal(hostContention(5, 2), 2.5)
  t.equal(hostContention(7.33, 4), 1.8, 'one decimal')
  t.equal(hostContention(NaN, 2), 1)
  t.equal(hostContention(3, 0), 3, 'no CPUs reported: as one')
  t.equal(MAX_CONTENTION, 4)
  const now = hostContention()
  t.ok(now >= 1 && now <= MAX_CONTENTION, `this machine now: ${now}`)
})

t.test('the scale: ×4 under TCG, ×1 under KVM, times the contention', async (t) => {
  t.equal(vmTimeScale('tcg', 1), TCG_TIME_SCALE)
  t.equal(vmTimeScale('kvm', 1), 1)
  t.equal(vmTimeScale('tcg', 2.5), 10)
  t.equal(vmTimeScale('kvm', 1.8), 1.8)
  t.equal(vmTimeScale('tcg', hostContention(11, 2)), 16)
})
