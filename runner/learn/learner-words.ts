// nslab's own words to a learner, in the language of the lab (front matter
// `lang:`): a lab written in Chinese is worked through in Chinese, headings,
// verdicts and what to type next included. Commands, file names, check lines
// and the evidence of checks (what a check saw, the commands it ran) stay as
// they are: they are what the learner types or reads back in the terminal.
import type { LabLang } from '../lab/lab.js'

export interface LearnerWords {
  /** A task's heading: "Task 2 of 5 · title". */
  task(n: number, total: number, title: string): string
  /** A remark in parentheses, as the language writes them. */
  aside(text: string): string
  // format-verdict
  notDoneYet: string
  done: string
  doneWithHelp: string
  expected: string
  got: string
  linesBefore(n: number): string
  moreCommands(n: number): string
  hintLabel: string
  notJudgedHere(what: string): string
  // render-task
  whenDone(cmd: string, stuck?: { hint: string; solve: string }): string
  yourTurn: string
  printsSomethingLike: string
  onMachine(on: string): string
  onMachineHow(on: string, openShell: string, runOne: string): string
  keepsRunning: string
  failsOnPurpose(exit: number): string
  // check
  allTasksDoneOf(total: number, name: string): string
  solvedWithHelpCount(n: number): string
  progress(passed: number, total: number): string
  allTasksDone(total: number, title: string): string
  whenFinished(cmd: string): string
  solvedWithHelp: string
  checkedAt(time: string): string
  doesNotFit: string
  tasksBefore(n: number): string
  more(n: number): string
  watching: string
  // hint
  noHintNeeded(total: number): string
  stillStuck(cmd: string): string
  hintFor(header: string): string
  noHintOfItsOwn: string
  // solve
  nothingToSolve(total: number): string
  solving(header: string): string
  ownCommandFailed(message: string): string
  unexpectedState: string
  solutionRanYetFails: string
  // up
  isUp(name: string, title: string, timing: string): string
  timing(host: string, setup: string): string
  noTasks: string
  wasReset(name: string): string
  // shell, down, the progress in the lab shell's prompt
  shellOn(name: string, where: string | undefined, task: { n: number; total: number; title: string } | undefined): string
  shellIn(machines: string): string
  leftShell(name: string, check: string, down: string): string
  hostEnded(name: string): string
  isDown(name: string): string
  progressDone(passed: number, total: number): string
  // status
  noLabsUp: string
  statusHead: [name: string, lab: string, age: string, progress: string, state: string]
  states: { up: string; starting: string; interrupted: string; gone: string }
  passedCount(n: number): string
  withHelp(n: number): string
  workCheckEnd(shell: string, check: string, down: string): string
}

const en: LearnerWords = {
  task: (n, total, title) => `Task ${n} of ${total} · ${title}`,
  aside: (text) => `(${text})`,
  notDoneYet: '— not done yet',
  done: '— done',
  doneWithHelp: '— done (solved with help)',
  expected: 'expected: ',
  got: 'got:      ',
  linesBefore: (n) => `… ${n} lines before`,
  moreCommands: (n) => `(+${n} more command${n > 1 ? 's' : ''}: nslab check --verbose)`,
  hintLabel: 'Hint:',
  notJudgedHere: (what) => `· not judged here (about nslab run's own run of the step): ${what}`,
  whenDone: (cmd, stuck) => `When you are done: ${cmd}${stuck ? `   ·   stuck? ${stuck.hint}, ${stuck.solve}` : ''}`,
  yourTurn: '(your turn: this one is yours to work out)',
  printsSomethingLike: 'It prints something like:',
  onMachine: (on) => `on ${on}:`,
  onMachineHow: (on, openShell, runOne) => `on ${on} (in the lab shell, ${openShell} opens a shell there, ${runOne} runs one):`,
  keepsRunning: 'it keeps running: start it with & at the end, or in a second shell',
  failsOnPurpose: (exit) => `it fails on purpose: exit status ${exit}`,
  allTasksDoneOf: (total, name) => `All ${total} tasks of ${name} are done.`,
  solvedWithHelpCount: (n) => ` (${n} solved with help)`,
  progress: (passed, total) => `Progress: ${passed} of ${total} tasks done.`,
  allTasksDone: (total, title) => `All ${total} tasks done: ${title}.`,
  whenFinished: (cmd) => `When you are finished: ${cmd}`,
  solvedWithHelp: '(solved with help)',
  checkedAt: (time) => `checked ${time}`,
  doesNotFit: '(its text does not fit: a taller terminal shows it)',
  tasksBefore: (n) => `${n} task${n > 1 ? 's' : ''} before`,
  more: (n) => `${n} more`,
  watching: 'Checking every second. Ctrl-C stops watching; the lab stays up.',
  noHintNeeded: (total) => `All ${total} tasks are done: no hint needed.`,
  stillStuck: (cmd) => `Still stuck? ${cmd} does it for you (marked "solved with help").`,
  hintFor: (header) => `Hint for ${header}:`,
  noHintOfItsOwn: 'This task has no hint of its own; here it is again.',
  nothingToSolve: (total) => `All ${total} tasks are done: nothing to solve.`,
  solving: (header) => `Solving ${header}`,
  ownCommandFailed: (message) => `the lab's own command failed: ${message}`,
  unexpectedState: 'The lab host may be in a state the lab did not expect; nslab reset starts afresh.',
  solutionRanYetFails: 'The solution ran, yet the check fails: something else on the lab host is in the way (nslab reset starts afresh).',
  isUp: (name, title, timing) => `${name} is up: ${title}  ${timing}`,
  timing: (host, setup) => `(lab host ${host}, setup ${setup})`,
  noTasks: 'This lab has no tasks to check.',
  wasReset: (name) => `${name} was reset: a fresh lab host, progress cleared.`,
  shellOn: (name, where, task) => `${name}: a shell on ${where ?? 'the lab host'}${task ? `, task ${task.n} of ${task.total}: ${task.title}` : ', all tasks done'}.`,
  shellIn: (machines) => `In it: nslab check · nslab hint · nslab solve · on MACHINE (${machines}). exit leaves; the lab stays up.`,
  leftShell: (name, check, down) => `Left the lab shell; ${name} is still up (${check}, ${down}).`,
  hostEnded: (name) => `The lab host of ${name} has ended (nslab down, reset or a kill); the shell with it.`,
  isDown: (name) => `${name} is down.`,
  progressDone: (passed, total) => `${passed}/${total} done`,
  noLabsUp: 'No labs are up. Start one: nslab up LAB',
  statusHead: ['NAME', 'LAB', 'AGE', 'PROGRESS', 'STATE'],
  states: { up: 'up', starting: 'starting', interrupted: 'interrupted (nslab gc)', gone: 'gone (nslab gc)' },
  passedCount: (n) => `${n} passed`,
  withHelp: (n) => `(${n} with help)`,
  workCheckEnd: (shell, check, down) => `Work in the lab: ${shell}    Check your work: ${check}    End it: ${down}`,
}

const zh: LearnerWords = {
  task: (n, total, title) => `任务 ${n}/${total} · ${title}`,
  aside: (text) => `（${text}）`,
  notDoneYet: '— 尚未完成',
  done: '— 完成',
  doneWithHelp: '— 完成（借助了参考答案）',
  expected: '期望：',
  got: '实际：',
  linesBefore: (n) => `… 前面还有 ${n} 行`,
  moreCommands: (n) => `（另有 ${n} 条命令：nslab check --verbose）`,
  hintLabel: '提示：',
  notJudgedHere: (what) => `· 此处不判定（针对 nslab run 自己运行该步骤的情况）：${what}`,
  whenDone: (cmd, stuck) => `完成后运行：${cmd}${stuck ? `   ·   卡住了？${stuck.hint}、${stuck.solve}` : ''}`,
  yourTurn: '（轮到你了：这一步需要你自己想办法完成）',
  printsSomethingLike: '输出大致如下：',
  onMachine: (on) => `在 ${on} 上：`,
  onMachineHow: (on, openShell, runOne) => `在 ${on} 上（在实验 shell 里，${openShell} 打开那里的 shell，${runOne} 在那里运行一条命令）：`,
  keepsRunning: '它会一直运行：在命令末尾加上 & 启动，或在另一个 shell 中运行',
  failsOnPurpose: (exit) => `它会故意失败：退出码 ${exit}`,
  allTasksDoneOf: (total, name) => `${name} 的全部 ${total} 个任务都已完成。`,
  solvedWithHelpCount: (n) => `（其中 ${n} 个借助了参考答案）`,
  progress: (passed, total) => `进度：已完成 ${passed}/${total} 个任务。`,
  allTasksDone: (total, title) => `全部 ${total} 个任务已完成：${title}。`,
  whenFinished: (cmd) => `结束实验：${cmd}`,
  solvedWithHelp: '（借助了参考答案）',
  checkedAt: (time) => `检查于 ${time}`,
  doesNotFit: '（内容放不下：把终端调高一些即可看到）',
  tasksBefore: (n) => `之前 ${n} 个任务`,
  more: (n) => `后面还有 ${n} 个`,
  watching: '每秒检查一次。按 Ctrl-C 停止观察，实验会继续保持运行。',
  noHintNeeded: (total) => `全部 ${total} 个任务都已完成，不需要提示了。`,
  stillStuck: (cmd) => `还是卡住了？${cmd} 会替你完成（记为“借助了参考答案”）。`,
  hintFor: (header) => `${header} 的提示：`,
  noHintOfItsOwn: '这个任务没有单独的提示，下面再显示一遍任务内容。',
  nothingToSolve: (total) => `全部 ${total} 个任务都已完成，没有需要解答的了。`,
  solving: (header) => `正在解答 ${header}`,
  ownCommandFailed: (message) => `实验自带的命令失败了：${message}`,
  unexpectedState: '实验主机可能处于实验没有预料到的状态；nslab reset 可以从头开始。',
  solutionRanYetFails: '参考答案已经运行，检查却仍未通过：实验主机上有别的东西在起作用（nslab reset 可以从头开始）。',
  isUp: (name, title, timing) => `${name} 已启动：${title}  ${timing}`,
  timing: (host, setup) => `（实验主机 ${host}，准备 ${setup}）`,
  noTasks: '这个实验没有需要检查的任务。',
  wasReset: (name) => `${name} 已重置：全新的实验主机，进度已清空。`,
  shellOn: (name, where, task) => `${name}：${where ? `${where} 上` : '实验主机上'}的 shell${task ? `，任务 ${task.n}/${task.total}：${task.title}` : '，全部任务已完成'}。`,
  shellIn: (machines) => `在这里可以用：nslab check · nslab hint · nslab solve · on MACHINE（${machines}）。exit 退出 shell，实验继续保持运行。`,
  leftShell: (name, check, down) => `已退出实验 shell；${name} 仍在运行（${check}、${down}）。`,
  hostEnded: (name) => `${name} 的实验主机已结束（nslab down、reset 或被终止），shell 也随之结束。`,
  isDown: (name) => `${name} 已关闭。`,
  progressDone: (passed, total) => `${passed}/${total} 完成`,
  noLabsUp: '当前没有运行中的实验。启动一个：nslab up LAB',
  statusHead: ['名称', '实验', '运行时长', '进度', '状态'],
  states: { up: '运行中', starting: '启动中', interrupted: '已中断（nslab gc）', gone: '已消失（nslab gc）' },
  passedCount: (n) => `已通过 ${n} 个`,
  withHelp: (n) => `（${n} 个借助参考答案）`,
  workCheckEnd: (shell, check, down) => `进入实验：${shell}    检查进度：${check}    结束实验：${down}`,
}

export const LEARNER_WORDS: Record<LabLang, LearnerWords> = { en, zh }

/** The words for a lab's language; English for a lab that names none. */
export function learnerWords(lang: LabLang | undefined): LearnerWords {
  return LEARNER_WORDS[lang ?? 'en']
}
