/** Byte-array helpers shared by core, the engine and the simulator. */

/** Whether `a` and `b` hold the same bytes. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  // `length` read once: a `byteLength` getter in the loop condition is ~8x slower in V8.
  const n = a.length
  if (n !== b.length) return false
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}
