// The images a lab's scripts name: nslab builds only some, offline, and lint
// says which a lab names that it cannot build, or pulls.
import t from 'tap'
import { imageProblems, imageReference, imagesNamedIn, isKnownImage } from '../../runner/lab/docker-images.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'

t.test('image references as docker reads them', async (t) => {
  t.same(imageReference('nginx'), { repo: 'nginx', tag: 'latest' })
  t.same(imageReference('docker.io/library/nginx:latest'), { repo: 'nginx', tag: 'latest' })
  t.same(imageReference('debian:bookworm'), { repo: 'debian', tag: 'bookworm' })
  t.same(imageReference('localhost:5000/team/app'), { repo: 'localhost:5000/team/app', tag: 'latest' })
  t.equal(imageReference('$IMG'), undefined)
  for (const ok of ['nginx', 'nginx:latest', 'busybox', 'library/busybox:latest', 'debian:12', 'debian:bookworm', 'debian']) t.ok(isKnownImage(ok), ok)
  for (const no of ['alpine', 'nginx:1.25', 'debian:bullseye', 'ubuntu:22.04', 'redis']) t.notOk(isKnownImage(no), no)
})

t.test('the image of docker run and create, past their options', async (t) => {
  const names = (s: string) => imagesNamedIn(s).map((f) => `${f.verb} ${f.image}`)
  t.same(names('docker run -d --name web -p 8080:80 nginx'), ['run nginx'])
  t.same(names('docker run --rm -it --network=backend -e A=1 --env B=2 busybox sh -c "ping x"'), ['run busybox'])
  t.same(names('docker container create --name db debian:bookworm sleep infinity'), ['create debian:bookworm'])
  t.same(names('docker run -d \\\n  --name web \\\n  -p 8080:80 \\\n  alpine'), ['run alpine'])
  t.same(names('docker ps; docker run -d nginx && docker run redis | cat'), ['run nginx', 'run redis'])
  t.same(names('docker pull nginx'), ['pull nginx'])
  t.same(names('docker run -d "$IMAGE"'), [], 'a variable is not known')
  t.same(names('docker run --some-new-flag x nginx'), [], 'an option it does not know stops the reading: no guess')
  t.same(names('docker network create backend\ndocker exec web nginx -s reload\ndocker images'), [])
  t.same(names('# docker run alpine\necho docker run alpine'), [], 'comments; an echo is no command')
})

const lab = (script: string) => `---\ntitle: x\nengine: docker\ntopology:\n  docker: true\n---\n\n\`\`\`sh step\n${script}\n\`\`\`\n`

t.test('lint: an image nslab cannot build, and a pull, at their lines', async (t) => {
  const r = parseLab(lab('docker run -d --name web -p 8080:80 nginx\ndocker run --rm alpine ping -c 1 web\ndocker pull busybox'), 'lab.md')
  t.same(r.problems.map(formatProblem), [
    'lab.md:10: unknown image "alpine": a lab host is offline, and nslab builds only busybox (:latest), nginx (:latest), debian (:latest :bookworm :12)',
    'lab.md:11: docker pull busybox: a lab host has no registry to pull from; the images nslab builds (busybox, nginx, debian) are there already',
  ])
  t.match(formatProblem(parseLab(lab('docker run ngnix'), 'lab.md').problems[0]!), /unknown image "ngnix" \(did you mean "nginx"\?\)/)
  t.same(parseLab(lab('docker run -d --name web -p 8080:80 nginx\ndocker run --rm debian:12 ip addr'), 'lab.md').problems, [])
})

t.test('imageProblems reads script blocks only: a shown block may name any image', async (t) => {
  const text = `---\ntitle: x\n---\n\n\`\`\`sh\ndocker run alpine\n\`\`\`\n\n\`\`\`sh step\ntrue\n\`\`\`\n`
  const r = parseLab(text, 'lab.md')
  t.same(r.problems, [])
  t.same(imageProblems(r.lab!.blocks), [])
})
