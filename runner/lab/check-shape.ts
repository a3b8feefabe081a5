// The shape of a lab's front matter, checked by hand rather than with a
// schema library: three small strict maps do not need one, and zod alone
// cost nslab 110 ms of start-up (820 KB to compile) on every command that
// reads a lab. The issues keep zod's shape (code, path, keys, expected), so
// front-matter.ts turns them into the same sentences.

export type Shape =
  | { type: 'string'; nonEmpty?: boolean }
  | { type: 'boolean' }
  | { type: 'number' }
  | { type: 'unknown' }
  | { type: 'array'; of: Shape }
  | { type: 'union'; of: Shape[] }
  | { type: 'map'; fields: Record<string, Field> }

/** A key of a map: optional keys may be absent (undefined), nullable ones null. */
export type Field = Shape & { optional?: boolean; nullable?: boolean }

export type ShapeIssue =
  | { code: 'unrecognized_keys'; path: (string | number)[]; keys: string[]; message: string }
  | { code: 'invalid_type'; path: (string | number)[]; expected: string; message: string }
  | { code: 'invalid_union'; path: (string | number)[]; message: string }
  | { code: 'too_small'; path: (string | number)[]; message: string }

/** Every way VALUE differs from SHAPE: a map's keys in the shape's order, then its unknown keys. */
export function checkShape(shape: Shape, value: unknown, path: (string | number)[] = []): ShapeIssue[] {
  const typeIssue = (expected: string): ShapeIssue[] => [{ code: 'invalid_type', path, expected, message: `expected ${expected}` }]
  switch (shape.type) {
    case 'unknown':
      return []
    case 'string':
      if (typeof value !== 'string') return typeIssue('string')
      return shape.nonEmpty && value.trim() === '' ? [{ code: 'too_small', path, message: 'must not be empty' }] : []
    case 'boolean':
      return typeof value === 'boolean' ? [] : typeIssue('boolean')
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? [] : typeIssue('number')
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => checkShape(shape.of, v, [...path, i])) : typeIssue('array')
    case 'union':
      return shape.of.some((s) => checkShape(s, value, path).length === 0) ? [] : [{ code: 'invalid_union', path, message: 'none of the forms fits' }]
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return typeIssue('object')
      const obj = value as Record<string, unknown>
      const issues: ShapeIssue[] = []
      for (const [key, field] of Object.entries(shape.fields)) {
        const v = obj[key]
        if (v === undefined && (field.optional || field.type === 'unknown')) continue
        if (v === null && field.nullable) continue
        issues.push(...checkShape(field, v, [...path, key]))
      }
      const unknown = Object.keys(obj).filter((k) => !(k in shape.fields))
      if (unknown.length) issues.push({ code: 'unrecognized_keys', path, keys: unknown, message: `unrecognized keys ${unknown.join(', ')}` })
      return issues
    }
  }
}
