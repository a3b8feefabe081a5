import type { Lab } from './lab.js'

/** One exercise of a lab: a solution block and the checks that judge it. */
export interface Exercise {
  /** The name an answer is filed under (the solution's id=, or exercise-N). */
  id: string
  /** 1-based, in document order. */
  number: number
  /** Index in lab.blocks of the solution block. */
  block: number
  /** Line of the solution block's fence. */
  line: number
  /** Indexes in lab.blocks of the check blocks that judge it. */
  checkBlocks: number[]
  /** How many check lines those blocks hold: the most points it can give. */
  max: number
}

/**
 * The exercises of a lab and their checks. An exercise's checks are the check
 * blocks after its solution and before the next solution (or the end of the
 * lab): what holds once the learner's answer and the steps after it ran.
 * Check blocks before the first solution judge the walkthrough, which is the
 * same for every learner, and belong to no exercise.
 */
export function labExercises(lab: Lab): Exercise[] {
  const exercises: Exercise[] = []
  lab.blocks.forEach((b, i) => {
    if (b.kind === 'script' && b.role === 'solution') {
      const number = exercises.length + 1
      exercises.push({ id: b.id ?? `exercise-${number}`, number, block: i, line: b.line, checkBlocks: [], max: 0 })
    } else if (b.kind === 'check') {
      const current = exercises[exercises.length - 1]
      if (!current) return
      current.checkBlocks.push(i)
      current.max += b.checks.length
    }
  })
  return exercises
}
