/** Shared bits of the browser specs. */
let counter = 0

/** A peer/database name unique within and across runs. */
export function uniqueName (prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`
}

/**
 * A capability key unique within and across runs: a tab is a client, and a client may
 * write only capability keys (cap/<id of 22+ characters>), its own (~<peer id>/…) and read
 * public ones (core's key-rights.ts).
 */
export function uniqueKey (prefix: string): string {
  return `cap/${uniqueName(prefix).padEnd(24, '0')}`
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const decode = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : new TextDecoder().decode(b)

/**
 * Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). The
 * specs wait for network effects (hints delivered, a connection up) this way, never by a
 * fixed sleep.
 */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
