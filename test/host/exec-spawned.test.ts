// exec.ts with NSLAB_FORKER=0: node's own spawn, the way where there is no perl.
import t from 'tap'
import { execCases } from '../helpers/exec-cases.js'

// Read on first use of the forker, which comes after this line.
process.env.NSLAB_FORKER = '0'
execCases(t)
