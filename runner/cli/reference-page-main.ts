// `npm run docs:reference`: docs/reference.md on stdout (reference-page.ts).
import { referencePage } from './reference-page.js'

process.stdout.write(await referencePage())
