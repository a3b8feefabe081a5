// The front matter's lang: a known code, misspellings and other spellings
// answered with the code, and `en` when it is left out.
import t from 'tap'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'

const step = '```sh step\ntrue\n```\n'
const parse = (fm: string) => parseLab(`---\ntitle: x\n${fm}---\n${step}`, 'lab.md')
const problemsOf = (fm: string) => parse(fm).problems.map(formatProblem)

t.test('lang is en unless the lab says', async (t) => {
  t.equal(parse('').lab?.lang, 'en')
  t.equal(parse('lang: en\n').lab?.lang, 'en')
  t.equal(parse('lang: zh\n').lab?.lang, 'zh')
})

t.test('a lang nslab does not know is a mistake at its line', async (t) => {
  t.same(problemsOf('lang: hz\n'), ['lab.md:3: unknown lang "hz" (did you mean "zh"?)'])
  t.same(problemsOf('lang: ZH\n'), ['lab.md:3: unknown lang "ZH" (did you mean "zh"?)'])
  t.same(problemsOf('lang: zh-CN\n'), ['lab.md:3: unknown lang "zh-CN" (did you mean "zh"?)'])
  t.same(problemsOf('lang: chinese\n'), ['lab.md:3: unknown lang "chinese" (did you mean "zh"?)'])
  t.same(problemsOf('lang: en-US\n'), ['lab.md:3: unknown lang "en-US" (did you mean "en"?)'])
  t.same(problemsOf('summary: s\nlang: fr\n'), ['lab.md:4: unknown lang "fr"; this version of nslab knows en, zh'])
  t.same(problemsOf('lang: [zh]\n'), ['lab.md:3: lang should be text, not a list'])
  t.same(problemsOf('lnag: zh\n'), ['lab.md:3: unknown key "lnag" (did you mean "lang"?)'])
  t.same(problemsOf('lang: zh\nlang: en\n'), ['lab.md:4: the key "lang" is given twice (the other is on line 3)'])
})
