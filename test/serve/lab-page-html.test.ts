// The pages' HTML, without a browser: a lab's Markdown made safe (raw HTML as
// text, no javascript: links, no images from elsewhere), and a lab's page with
// the attributes tests and tools rely on (data-task, data-state, data-run,
// data-machine), its steps shown and its setup and solutions not.
import t from 'tap'
import { join } from 'node:path'
import { lexMarkdown } from '../../runner/report/render-markdown.js'
import { labPageHtml } from '../../runner/serve/lab-page-html.js'
import { labsPageHtml } from '../../runner/serve/labs-page-html.js'
import { markdownHtml } from '../../runner/serve/markdown-html.js'
import { labProse } from '../../runner/learn/lab-prose.js'
import { parseLabFile } from '../../runner/learn/learner-session.js'
import { FIXTURES, ROOT } from '../helpers/learner-cli.js'

const html = (md: string) => markdownHtml(lexMarkdown(md), { localLink: (h) => (h === 'other.md' ? '/lab/other' : undefined) })

t.test("a lab's Markdown as safe HTML", async (t) => {
  t.equal(html('# Title\n\nSome **bold** and `code <b>`.'), '<h1>Title</h1>\n<p>Some <strong>bold</strong> and <code>code &lt;b&gt;</code>.</p>\n', 'Markdown as GitHub lays it out')
  t.equal(html('Text <script>alert(1)</script> more'), '<p>Text &lt;script&gt;alert(1)&lt;/script&gt; more</p>\n', 'inline HTML: text')
  t.equal(html('<div onclick="x()">\nhi\n</div>'), '<p class="raw-html">&lt;div onclick=&quot;x()&quot;&gt;\nhi\n&lt;/div&gt;</p>\n', 'a block of HTML: text')
  t.equal(html('<!-- a note -->\n\nText'), '<p>Text</p>\n', 'a comment is hidden')
  t.equal(html('[a](javascript:alert(1)) [b](JavaScript:x) [c](data:text/html,x) [d](vbscript:x) [e](//evil.example/)'), '<p><span class="link-text">a</span> <span class="link-text">b</span> <span class="link-text">c</span> <span class="link-text">d</span> <span class="link-text">e</span></p>\n', 'no script, data or protocol-relative link')
  t.equal(html('<javascript:alert(1)>'), '<p><span class="link-text">javascript:alert(1)</span></p>\n', 'nor as an autolink')
  t.equal(html('[w](https://example.org/?a=1&b=2 "T")'), '<p><a href="https://example.org/?a=1&amp;b=2" title="T" rel="noopener noreferrer" target="_blank">w</a></p>\n', 'a web link opens apart')
  t.equal(html('[o](other.md) [x](missing.md) [#](#top)'), '<p><a href="/lab/other">o</a> <span class="link-text">x</span> <a href="#top">#</a></p>\n', "another lab's file: its page here; a file not served: text")
  t.equal(html('![a cat](https://example.org/cat.png) ![local](cat.png)'), '<p><a href="https://example.org/cat.png" rel="noopener noreferrer" target="_blank">[image: a cat]</a> <span class="link-text">[image: local]</span></p>\n', 'images: links, nothing loaded')
  t.match(html('| a | b |\n|---|:-:|\n| 1 | 2 |'), /<table>[\s\S]*<th>a<\/th>[\s\S]*<td align="center">2<\/td>/, 'tables')
})

t.test('a lab page: tasks, steps, terminals', async (t) => {
  const lab = await parseLabFile(join(FIXTURES, 'tiny.md'))
  const page = labPageHtml({ id: 'tiny', lab, prose: await labProse(lab), nonce: 'NONCE' })
  t.same([...page.matchAll(/<section class="task" id="task-(\d+)" data-task="(\d+)" data-state="pending"/g)].map((m) => m[2]), ['1', '2', '3'], 'one element per task, data-task 1-based, data-state')
  t.same([...page.matchAll(/<div class="term"[^>]* data-machine="([^"]+)"/g)].map((m) => m[1]), ['host', 'box1'], 'one terminal per machine')
  const runs = [...page.matchAll(/<button type="button" data-run="(\d+)" data-on="([^"]+)"/g)].map((m) => ({ block: Number(m[1]), on: m[2] }))
  t.same(runs.map((r) => r.on), ['box1'], 'Run on each step, with its machine')
  t.equal(lab.blocks[runs[0]!.block]?.kind, 'script', 'data-run names the block')
  t.match(page, /<pre><code>ip addr add 172\.17\.0\.99\/16 dev eth0<\/code><\/pre>/, 'the step as code')
  t.notMatch(page, /echo &quot;set up&quot;|echo "set up"/, 'no setup command')
  t.notMatch(page, /ip netns add extra/, 'no solution')
  t.match(page, /Your turn: this one is yours to work out/, 'an exercise says so')
  t.match(page, /data-action="hint"/)
  t.match(page, /<em>that<\/em> was the lab/, 'the end of the lab')
  t.match(page, /<meta name="nslab-style-nonce" content="NONCE">/, 'the nonce for its script')
  t.equal((page.match(/<script/g) ?? []).length, 1, 'one script: its own')
})

t.test("the labs' page", async (t) => {
  const lab = await parseLabFile(join(ROOT, 'labs/snat-outbound.md'))
  const page = labsPageHtml(
    [
      { id: 'snat-outbound', title: lab.title, summary: '<b>x</b>', tasks: 13, progress: { done: 4, solved: 1 } },
      { id: 'b', title: 'B', tasks: 1 },
    ],
    { nonce: 'N' },
  )
  t.match(page, /data-lab-card="snat-outbound" data-state="started"[\s\S]*href="\/lab\/snat-outbound">SNAT — how a container reaches the outside world<\/a>/)
  t.match(page, /&lt;b&gt;x&lt;\/b&gt;/, 'a summary is text')
  t.match(page, /13 tasks<\/span> · <span data-lab-progress>4 of 13 done/)
  t.match(page, /data-lab-card="b" data-state="new"[\s\S]*1 task<\/span> · <span data-lab-progress>not started/)
})
