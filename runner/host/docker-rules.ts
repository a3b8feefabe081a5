import type { Bridge, Container } from '../lab/lab.js'

// The nat and filter rules Docker Engine 20.10's bridge driver installs on a
// fresh host, in the order it installs them, as iptables-restore input.
// Source and a captured iptables-save: test/fixtures/docker-20.10/.
// `publish` adds what `docker run -p HOST:CONTAINER` adds for that container.

export function dockerRules(bridge: Bridge, containers: Container[]): string {
  const br = bridge.name
  const nat: string[] = [
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    `-A POSTROUTING -s ${bridge.subnet} ! -o ${br} -j MASQUERADE`,
  ]
  const natDocker: string[] = [`-A DOCKER -i ${br} -j RETURN`]
  const filterDocker: string[] = []
  for (const c of containers) {
    for (const p of c.publish) {
      nat.push(
        `-A POSTROUTING -s ${c.ip}/32 -d ${c.ip}/32 -p ${p.protocol} -m ${p.protocol} --dport ${p.containerPort} -j MASQUERADE`,
      )
      natDocker.push(
        `-A DOCKER ! -i ${br} -p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${c.ip}:${p.containerPort}`,
      )
      filterDocker.push(
        `-A DOCKER -d ${c.ip}/32 ! -i ${br} -o ${br} -p ${p.protocol} -m ${p.protocol} --dport ${p.containerPort} -j ACCEPT`,
      )
    }
  }
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ...nat,
    ...natDocker,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    `-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A FORWARD -o ${br} -j DOCKER`,
    `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
    `-A FORWARD -i ${br} -o ${br} -j ACCEPT`,
    ...filterDocker,
    `-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`,
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    `-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`,
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n')
}
