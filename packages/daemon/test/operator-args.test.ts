/**
 * `ringstore leave` and `ringstore status` command lines, in-process: which daemon
 * (--http or --data-dir, the default data dir otherwise), --timeout, --json, and a
 * UsageError (exit 2) for each kind of bad value.
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '@ringstore/core'
import { DEFAULT_DATA_DIR, DEFAULT_LEAVE_TIMEOUT_S } from '../src/constants.js'
import { parseLeaveArgs, parseStatusArgs } from '../src/operator-args.js'

describe('ringstore leave arguments', () => {
  it('defaults to the default data dir and timeout', () => {
    expect(parseLeaveArgs([])).toEqual({ target: { dataDir: DEFAULT_DATA_DIR }, timeoutS: DEFAULT_LEAVE_TIMEOUT_S })
    expect(parseLeaveArgs(['--data-dir', '/d', '--timeout', '30'])).toEqual({ target: { dataDir: '/d' }, timeoutS: 30 })
    expect(parseLeaveArgs(['--help'])).toBeNull()
  })

  it('takes the HTTP address as start --http takes it, or as the ready line prints it', () => {
    const t = ['--http-token-file', 't']
    expect(parseLeaveArgs(['--http', '127.0.0.1:7071', ...t])?.target).toEqual({ http: 'http://127.0.0.1:7071', tokenFile: 't' })
    expect(parseLeaveArgs(['--http', 'http://127.0.0.1:7071/', ...t])?.target).toEqual({ http: 'http://127.0.0.1:7071', tokenFile: 't' })
    expect(parseLeaveArgs(['--http', ':7072', ...t])?.target).toEqual({ http: 'http://127.0.0.1:7072', tokenFile: 't' })
    expect(parseLeaveArgs(['--http', '[::1]:7073', ...t])?.target).toEqual({ http: 'http://[::1]:7073', tokenFile: 't' })
  })

  it('needs the token file with --http (no data dir to find it in), and takes it with --data-dir', () => {
    expect(() => parseLeaveArgs(['--http', '127.0.0.1:7071'])).toThrow(/--http needs --http-token-file FILE/)
    expect(() => parseStatusArgs(['--http', '127.0.0.1:7071', '--http-token-file', ''])).toThrow(/--http-token-file must not be empty/)
    expect(parseStatusArgs(['--data-dir', 'd', '--http-token-file', 'f'])?.target).toEqual({ dataDir: 'd', tokenFile: 'f' })
  })

  it('refuses bad values', () => {
    expect(() => parseLeaveArgs(['--timeout', '0'])).toThrow(/--timeout must be an integer in 1\.\./)
    expect(() => parseLeaveArgs(['--timeout', '1.5'])).toThrow(UsageError)
    expect(() => parseLeaveArgs(['--http', 'localhost'])).toThrow(/--http must be HOST:PORT/)
    expect(() => parseLeaveArgs(['--http', '127.0.0.1:0'])).toThrow(/must name the daemon's port/)
    expect(() => parseLeaveArgs(['--http', '127.0.0.1:1', '--data-dir', 'd'])).toThrow(/not both/)
    expect(() => parseLeaveArgs(['--data-dir', ''])).toThrow(/--data-dir must not be empty/)
    expect(() => parseLeaveArgs(['--json'])).toThrow(/Unknown option '--json'/)
  })
})

describe('ringstore status arguments', () => {
  it('has defaults and takes --json', () => {
    expect(parseStatusArgs([])).toEqual({ target: { dataDir: DEFAULT_DATA_DIR }, json: false })
    expect(parseStatusArgs(['--http', '127.0.0.1:7070', '--http-token-file', 't', '--json'])).toEqual({ target: { http: 'http://127.0.0.1:7070', tokenFile: 't' }, json: true })
    expect(parseStatusArgs(['-h'])).toBeNull()
  })

  it('refuses bad values', () => {
    expect(() => parseStatusArgs(['--timeout', '3'])).toThrow(/Unknown option '--timeout'/)
    expect(() => parseStatusArgs(['extra'])).toThrow(UsageError)
  })
})
