// Everything of the machine an attack from inside a lab host must leave as it
// was, set up before the attack and judged after it: marker files in /tmp,
// /var/tmp, /dev/shm and a home; a listener on the machine's loopback; a
// process outside every lab; System V IPC; the mount table.
import { randomBytes } from 'node:crypto'
import type { TAP } from 'tap'
import { canaryFiles, type CanaryFiles } from './canary-files.js'
import { ipcObjects, ipcText, type IpcObject } from './ipc-objects.js'
import { loopbackListener, type LoopbackListener } from './loopback-listener.js'
import { machineState } from './machine-state.js'
import type { As } from './nslab-as.js'
import { outsideSleeper, type OutsideSleeper } from './outside-sleeper.js'

/** What an attack script needs to know to aim at the canaries (it never gets the marker whole). */
export interface Aim {
  /** File name to create in /tmp, /var/tmp, /dev/shm and the home. */
  word: string
  /** The home folder ('' when there is none). */
  home: string
  /** The outside process's marker, in two halves: a script holding it whole would find itself. */
  markHalves: [string, string]
  port: number
  /** The test's own pids: never targets, whatever a broken lab host lets the attack reach. */
  spare: number[]
}

export interface Watch {
  aim: Aim
  canaries: CanaryFiles
  listener: LoopbackListener
  sleeper: OutsideSleeper
  /** Give late connections (a lab host's teardown) time to arrive. */
  settle(): Promise<void>
  /** System V IPC objects the machine has now and had not before. */
  newIpc(): IpcObject[]
  /** What changed on the machine, one sentence each; [] when nothing did. */
  changes(): { files: string[]; connections: string[]; sleeper: string; mounts: boolean; ipc: string[] }
  /** Take down what the watch made, and marker files an attack left. */
  cleanup(): Promise<void>
}

export async function watchMachine(t: Pick<TAP, 'teardown'>, as: As): Promise<Watch> {
  const id = randomBytes(5).toString('hex')
  const word = `nslab-canary-${id}`
  const marker = `nslabouter${id}`
  const canaries = canaryFiles(as, word)
  const listener = await loopbackListener()
  const sleeper = outsideSleeper(as, marker)
  const mountsBefore = machineState().mounts
  const ipcBefore = ipcObjects()
  const known = new Set(ipcBefore.map(ipcText))
  const newIpc = (): IpcObject[] => ipcObjects().filter((o) => !known.has(ipcText(o)))
  const w: Watch = {
    aim: { word, home: canaries.home, markHalves: [marker.slice(0, 7), marker.slice(7)], port: listener.port, spare: [process.pid, process.ppid] },
    canaries,
    listener,
    sleeper,
    newIpc,
    settle: () => new Promise((r) => setTimeout(r, 1000)),
    changes: () => ({
      files: canaries.found(),
      connections: listener.connections().map((c) => `${c.from} sent ${JSON.stringify(c.data)}`),
      sleeper: sleeper.disturbed(),
      mounts: machineState().mounts !== mountsBefore,
      ipc: newIpc().map(ipcText),
    }),
    async cleanup() {
      sleeper.stop()
      canaries.remove()
      await listener.close()
    },
  }
  t.teardown(() => w.cleanup())
  return w
}

type Asserts = Pick<TAP, 'same' | 'equal' | 'notOk'>

/** The usual verdict: nothing of the machine changed. */
export async function assertUntouched(t: Asserts, w: Watch, what: string): Promise<void> {
  await w.settle()
  const c = w.changes()
  t.same(c.files, [], `${what}: no marker file reached the machine's /tmp, /var/tmp, /dev/shm or home`)
  t.same(c.connections, [], `${what}: the listener on the machine's loopback got no connection`)
  t.equal(c.sleeper, '', `${what}: the process outside sleeps undisturbed`)
  t.notOk(c.mounts, `${what}: the machine's mount table is as it was`)
  t.same(c.ipc, [], `${what}: the machine's System V IPC is as it was`)
}
