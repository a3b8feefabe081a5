// A share written as a lab writes it (ping's min-loss=10%): a number from 0 to 100 and a %.

/** A loss bound: "10%", "2.5%", 0 to 100. */
export function parsePercent(text: string): number | undefined {
  const m = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text)
  const n = m ? Number(m[1]) : NaN
  return n >= 0 && n <= 100 ? n : undefined
}
