// The entry of a grading worker's process (grading-host starts it): the
// build bundles it as dist/bin/grade-worker.js.
import { main } from './grade-worker.js'

void main()
