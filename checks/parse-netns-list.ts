/** Names from `ip netns list`: "box1 (id: 0)" or just "box1", one a line. */
export function parseNetnsList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '')
}
