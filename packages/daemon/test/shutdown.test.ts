/**
 * The stop sequence (src/shutdown.ts): a step that never finishes is named and left behind,
 * the steps after it still run, and the stop fails so the process exits 1 instead of idling
 * after SIGTERM.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Logger } from '@ringstore/peer'
import { ShutdownIncompleteError, ShutdownSequence } from '../src/shutdown.js'

function recordingLog (): Logger & { lines: Array<[string, string, Record<string, unknown> | undefined]> } {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>): void => { lines.push([level, msg, fields]) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

afterEach(() => { vi.useRealTimers() })

describe('ShutdownSequence', () => {
  it('undoes the steps most recent first, a failing one logged and the rest run', async () => {
    const log = recordingLog()
    const ran: string[] = []
    const steps = new ShutdownSequence(log, 1_000)
    steps.add('store', async () => { ran.push('store') })
    steps.add('peer', async () => { throw new Error('boom') })
    steps.add('http api', async () => { ran.push('http api') })
    await steps.run()
    expect(ran).toEqual(['http api', 'store'])
    expect(log.lines.filter(([level]) => level === 'warn').map(([, , f]) => f?.step)).toEqual(['peer'])
    // Run once: a second stop has nothing left to undo.
    await steps.run()
    expect(ran).toEqual(['http api', 'store'])
  })

  it('names a step that never finishes, goes on without it, and fails the stop', async () => {
    vi.useFakeTimers()
    const log = recordingLog()
    const ran: string[] = []
    const steps = new ShutdownSequence(log, 30_000)
    steps.add('data-dir lock', async () => { ran.push('lock released') })
    steps.add('store', async () => { ran.push('store closed') })
    steps.add('libp2p node', async () => { await new Promise(() => undefined) })
    steps.add('http api', async () => { ran.push('http closed') })
    const stopped = steps.run().then(() => 'clean', (error: unknown) => error)
    await vi.advanceTimersByTimeAsync(29_999)
    expect(ran).toEqual(['http closed'])
    await vi.advanceTimersByTimeAsync(1)
    const outcome = await stopped
    expect(outcome).toBeInstanceOf(ShutdownIncompleteError)
    expect((outcome as ShutdownIncompleteError).steps).toEqual(['libp2p node'])
    expect((outcome as Error).message).toContain('libp2p node')
    expect(ran).toEqual(['http closed', 'store closed', 'lock released'])
    expect(log.lines.find(([level]) => level === 'error')?.[2]).toMatchObject({ step: 'libp2p node', boundMs: 30_000 })
    // No timer is left behind to keep the process up.
    expect(vi.getTimerCount()).toBe(0)
  })
})
