/**
 * The daemon's log: one JSON object per line on stderr (`{"t","level","msg",...fields}`),
 * filtered by level. stdout is reserved for the single `ready` line.
 */
import type { Logger } from '@ringstore/peer'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

export function createLogger (level: LogLevel, write: (line: string) => void = (line) => { process.stderr.write(line) }): Logger {
  const threshold = RANK[level]
  const emit = (at: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[at] < threshold) return
    write(`${serialise({ t: new Date().toISOString(), level: at, msg, ...fields })}\n`)
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}

/** JSON.stringify that never throws (cycles, BigInt) and renders errors and bytes usefully. */
function serialise (entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString()
      if (value instanceof Error) return { name: value.name, message: value.message }
      if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
      return value
    })
  } catch {
    return JSON.stringify({ t: entry.t, level: entry.level, msg: entry.msg, note: 'fields not serialisable' })
  }
}
