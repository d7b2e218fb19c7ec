/**
 * Command-line parsing in-process: defaults, every option's conversion, and a clear
 * UsageError for each kind of bad value (the CLI turns it into exit code 2).
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '@ringstore/core'
import { parseClusterArgs, parseHostPort, parseStartArgs } from '../src/args.js'
import { DEFAULT_HTTP, DEFAULT_LISTEN } from '../src/constants.js'

describe('ringstore start arguments', () => {
  it('has documented defaults', () => {
    expect(parseStartArgs([])).toEqual({
      dataDir: './ringstore-data',
      listen: DEFAULT_LISTEN,
      announce: [],
      http: DEFAULT_HTTP,
      bootstrap: [],
      cluster: 'ringstore',
      q: 1024,
      n: 3,
      r: 2,
      w: 2,
      weight: 1,
      zone: 'default',
      requestTimeoutMs: 1000,
      antiEntropyIntervalMs: 10_000,
      backgroundYieldAtMs: 50,
      hintQuotaBytes: 256 * 1024 * 1024,
      hintQuotaPerTargetBytes: 64 * 1024 * 1024,
      hintMaxAgeMs: 7 * 24 * 60 * 60 * 1000,
      ringCheckpoints: true,
      logLevel: 'info',
      maxBodyBytes: 1024 * 1024,
      maxInflight: 128,
      relay: true,
      allowOrigins: [],
      httpHosts: [],
      metricsOpen: false,
      httpMaxConnections: 1024,
      httpIdleTimeoutMs: 10_000,
      allowEmptyStore: false
    })
  })

  it('proposes ring checkpoints by default; --no-ring-checkpoints turns it off (older peers refuse records that advertise one)', () => {
    expect(parseStartArgs([])?.ringCheckpoints).toBe(true)
    expect(parseStartArgs(['--ring-checkpoints'])?.ringCheckpoints).toBe(true)
    expect(parseStartArgs(['--no-ring-checkpoints'])?.ringCheckpoints).toBe(false)
    expect(() => parseStartArgs(['--ring-checkpoints', '--no-ring-checkpoints'])).toThrow(/contradict/)
  })

  it('takes --allow-empty-store', () => {
    expect(parseStartArgs(['--allow-empty-store'])?.allowEmptyStore).toBe(true)
  })

  it('reads every option, repeatable ones in order', () => {
    const options = parseStartArgs([
      '--data-dir', '/d', '--listen', '/ip4/0.0.0.0/tcp/4001', '--listen', '/ip4/0.0.0.0/tcp/4002/ws',
      '--http', '[::1]:0', '--bootstrap', '/ip4/10.0.0.1/tcp/1/p2p/X', '--bootstrap', '/ip4/10.0.0.2/tcp/1/p2p/Y',
      '--cluster', 'shop-eu', '--q', '256', '--n', '5', '--r', '3', '--w', '3', '--weight', '2.5', '--zone', 'rack-1',
      '--request-timeout-ms', '500', '--anti-entropy-interval-ms', '0', '--log-level', 'debug', '--max-body', '4096',
      '--announce', '/dns4/example.org/tcp/4001', '--no-relay', '--max-inflight', '8'
    ])
    expect(options).toMatchObject({
      dataDir: '/d',
      listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'],
      http: { host: '::1', port: 0 },
      bootstrap: ['/ip4/10.0.0.1/tcp/1/p2p/X', '/ip4/10.0.0.2/tcp/1/p2p/Y'],
      cluster: 'shop-eu',
      q: 256,
      n: 5,
      r: 3,
      w: 3,
      weight: 2.5,
      zone: 'rack-1',
      requestTimeoutMs: 500,
      antiEntropyIntervalMs: 0,
      logLevel: 'debug',
      maxBodyBytes: 4096,
      maxInflight: 8,
      announce: ['/dns4/example.org/tcp/4001'],
      relay: false
    })
  })

  it('takes the HTTP access flags: --http-token-file, --allow-origin and --http-host (repeatable), --metrics-open', () => {
    expect(parseStartArgs([])?.httpTokenFile).toBeUndefined()
    expect(parseStartArgs([
      '--http-token-file', '/t', '--allow-origin', 'http://localhost:5173', '--allow-origin', 'https://shop.example.org/',
      '--http-host', 'ringstore.lan', '--http-host', 'Box:8080', '--metrics-open'
    ])).toMatchObject({
      httpTokenFile: '/t',
      allowOrigins: ['http://localhost:5173', 'https://shop.example.org'],
      httpHosts: ['ringstore.lan', 'box:8080'],
      metricsOpen: true
    })
    for (const origin of ['*', 'null', 'http://localhost:5173/path', 'ftp://x.example', 'localhost:5173', '']) {
      expect(() => parseStartArgs(['--allow-origin', origin]), origin).toThrow(/--allow-origin must be an origin/)
    }
    for (const host of ['', 'a b', 'x/y', 'http://x']) {
      expect(() => parseStartArgs(['--http-host', host]), host).toThrow(/--http-host must be a host name/)
    }
    expect(() => parseStartArgs(['--http-token-file', ''])).toThrow(/--http-token-file must not be empty/)
  })

  it('takes --cluster-secret FILE (absent: the data dir\'s own, see trust.ts), refusing an empty one', () => {
    expect(parseStartArgs([])?.clusterSecret).toBeUndefined()
    expect(parseStartArgs(['--cluster-secret', '/etc/ringstore/cluster.secret'])?.clusterSecret).toBe('/etc/ringstore/cluster.secret')
    expect(() => parseStartArgs(['--cluster-secret', ''])).toThrow(UsageError)
  })

  it('takes --admission FILE with the --weight and --zone given (absent: the certificate\'s), never with --cluster-secret', () => {
    expect(parseStartArgs([])?.admission).toBeUndefined()
    expect(parseStartArgs(['--admission', 'peer.cert'])?.admission).toEqual({ file: 'peer.cert' })
    expect(parseStartArgs(['--admission', 'peer.cert', '--weight', '0.5', '--zone', 'eu-1'])?.admission).toEqual({ file: 'peer.cert', weight: 0.5, zone: 'eu-1' })
    expect(() => parseStartArgs(['--admission', ''])).toThrow(UsageError)
    expect(() => parseStartArgs(['--admission', 'peer.cert', '--cluster-secret', 'cluster.secret'])).toThrow(/--admission and --cluster-secret exclude each other/)
  })

  it('takes the hint quotas in bytes or with a unit, and the hint age in ms or with a unit', () => {
    expect(parseStartArgs(['--hint-quota', '1GiB', '--hint-quota-per-target', '1.5MiB', '--hint-max-age', '12h'])).toMatchObject({
      hintQuotaBytes: 1024 ** 3, hintQuotaPerTargetBytes: 1.5 * 1024 ** 2, hintMaxAgeMs: 12 * 3_600_000
    })
    expect(parseStartArgs(['--hint-quota', '4096', '--hint-quota-per-target', '0', '--hint-max-age', '90000'])).toMatchObject({
      hintQuotaBytes: 4096, hintQuotaPerTargetBytes: 0, hintMaxAgeMs: 90_000
    })
    expect(parseStartArgs(['--hint-max-age', '7d', '--hint-quota', '20KiB'])).toMatchObject({ hintMaxAgeMs: 7 * 86_400_000, hintQuotaBytes: 20 * 1024 })
  })

  it('caps the default r and w at a smaller n', () => {
    expect(parseStartArgs(['--n', '1'])).toMatchObject({ n: 1, r: 1, w: 1 })
  })

  it('returns null for --help', () => {
    expect(parseStartArgs(['--help'])).toBeNull()
    expect(parseStartArgs(['-h'])).toBeNull()
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['--frobnicate'], /Unknown option '--frobnicate'/],
    ['a positional argument', ['extra'], /Unexpected argument 'extra'/],
    ['a port out of range', ['--http', '127.0.0.1:70000'], /--http must be HOST:PORT/],
    ['an HTTP address without a port', ['--http', 'localhost'], /--http must be HOST:PORT/],
    ['q not a power of two', ['--q', '1000'], /--q must be a power of two/],
    ['q = 0', ['--q', '0'], /--q must be an integer in 1\.\./],
    ['w above n', ['--n', '2', '--w', '3'], /--w must be an integer in 1\.\.2/],
    ['r = 0', ['--r', '0'], /--r must be an integer in 1\.\.3/],
    ['n above 64', ['--n', '65'], /--n must be an integer in 1\.\.64/],
    ['a non-numeric n', ['--n', 'three'], /--n must be an integer/],
    ['a fractional n', ['--n', '2.5'], /--n must be an integer/],
    ['a negative weight', ['--weight=-1'], /--weight must be a number/],
    ['a weight that is not a number', ['--weight', 'heavy'], /--weight must be a number/],
    ['an unknown log level', ['--log-level', 'loud'], /--log-level must be one of/],
    ['a value limit above the engine limit', ['--max-body', '2000000'], /--max-body must be an integer in 0\.\.1048576/],
    ['an empty data dir', ['--data-dir', ''], /--data-dir must not be empty/],
    ['a flag without its value', ['--data-dir'], /--data-dir/],
    ['a cluster name with a slash', ['--cluster', 'a/b'], /--cluster must be/],
    ['an empty zone', ['--zone', ''], /--zone must be/],
    ['a zero request timeout', ['--request-timeout-ms', '0'], /--request-timeout-ms must be an integer/],
    ['a negative in-flight bound', ['--max-inflight=-1'], /--max-inflight must be an integer in 0\.\.1000000/],
    ['an in-flight bound that is not a number', ['--max-inflight', 'many'], /--max-inflight must be an integer/],
    ['a hint quota with an unknown unit', ['--hint-quota', '256MB'], /--hint-quota must be a size like .* got '256MB'/],
    ['a negative hint quota', ['--hint-quota-per-target=-1'], /--hint-quota-per-target must be a size/],
    ['a hint quota above 1 TiB', ['--hint-quota', '2TiB'], /--hint-quota must be a size .* in 0\.\.1099511627776/],
    ['a zero hint age', ['--hint-max-age', '0'], /--hint-max-age must be a duration/],
    ['a hint age with an unknown unit', ['--hint-max-age', '7w'], /--hint-max-age must be a duration like/]
  ]
  for (const [what, argv, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => parseStartArgs(argv)).toThrow(UsageError)
      expect(() => parseStartArgs(argv)).toThrow(message)
    })
  }
})

describe('HOST:PORT', () => {
  it('accepts IPv4, names, bracketed IPv6 and a bare :PORT', () => {
    expect(parseHostPort('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 })
    expect(parseHostPort('localhost:7070')).toEqual({ host: 'localhost', port: 7070 })
    expect(parseHostPort('[::]:0')).toEqual({ host: '::', port: 0 })
    expect(parseHostPort(':9000')).toEqual({ host: '127.0.0.1', port: 9000 })
  })

  it('refuses the rest', () => {
    for (const text of ['', '7070', '::1:7070', 'host:', 'host:-1', 'host:65536', 'a:b:c']) {
      expect(() => parseHostPort(text), text).toThrow(UsageError)
    }
  })
})

describe('ringstore cluster arguments', () => {
  it('has defaults and passes what follows -- to the daemons', () => {
    expect(parseClusterArgs([])).toEqual({ baseDir: '.ringstore', peers: 3, httpPort: 7070, p2pPort: 7170, logLevel: 'info', passThrough: [] })
    expect(parseClusterArgs(['--peers', '5', '--', '--n', '2', '--frobnicate'])).toMatchObject({ peers: 5, passThrough: ['--n', '2', '--frobnicate'] })
  })

  it('refuses bad values', () => {
    expect(() => parseClusterArgs(['--peers', '0'])).toThrow(/--peers must be an integer in 1\.\.16/)
    expect(() => parseClusterArgs(['--http-port', 'x'])).toThrow(UsageError)
    expect(() => parseClusterArgs(['--n', '3'])).toThrow(/Unknown option '--n'/)
  })
})
