import { describe, expect, it } from 'vitest'
import { RequestTimeoutError } from '../src/errors.js'

describe('RequestTimeoutError', () => {
  it('carries no stack trace of its own and leaves stack traces on for every other error', () => {
    const limit = Error.stackTraceLimit
    const error = new RequestTimeoutError('p7', 200)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('RequestTimeoutError')
    expect(error.message).toBe('request to p7 timed out after 200 ms')
    expect([error.peer, error.timeoutMs]).toEqual(['p7', 200])
    // The stack is the header line alone: no frame was captured.
    expect(error.stack).toBe('RequestTimeoutError: request to p7 timed out after 200 ms')
    expect(Error.stackTraceLimit).toBe(limit)
    expect(new Error('next').stack).toMatch(/\n\s+at /)
  })
})
