/**
 * Command-line parsing for `ringstore start` and `ringstore cluster`: node's util.parseArgs
 * (strict: unknown flags are errors), then every value checked and converted here, so the
 * daemon never starts with a value it would trip over later. A bad command line is a
 * UsageError (the CLI prints it and exits with code 2).
 */
import { parseArgs } from 'node:util'
import { LIMITS, UsageError } from '@ringstore/core'
import { DEFAULT_CONFIG, MAX_REPLICAS } from '@ringstore/peer'
import type { PeerConfig } from '@ringstore/peer'
import {
  DEFAULT_CLUSTER, DEFAULT_CLUSTER_BASE_DIR, DEFAULT_CLUSTER_HTTP_PORT, DEFAULT_CLUSTER_P2P_PORT, DEFAULT_CLUSTER_PEERS,
  DEFAULT_DATA_DIR, DEFAULT_HTTP, DEFAULT_LISTEN, DEFAULT_LOG_LEVEL, DEFAULT_MAX_INFLIGHT, MAX_CLUSTER_NAME_CHARS,
  DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_HTTP_IDLE_TIMEOUT_MS, MAX_HTTP_CONNECTIONS_LIMIT, MIN_HTTP_IDLE_TIMEOUT_MS,
  MAX_HINT_AGE_MS, MAX_HINT_QUOTA_BYTES, MAX_INFLIGHT_LIMIT, MAX_LOCAL_PEERS, MAX_OPTION_MS, MAX_Q, MAX_WEIGHT, WS_PORT_OFFSET
} from './constants.js'
import { bytesOption, durationOption } from './size-args.js'
import { LOG_LEVELS } from './logger.js'
import type { LogLevel } from './logger.js'

export interface HostPort {
  readonly host: string
  readonly port: number
}

/** The engine settings a daemon takes from its command line, named and typed as in PeerConfig. */
type EngineOptions = Pick<PeerConfig, 'q' | 'n' | 'r' | 'w' | 'weight' | 'zone' | 'requestTimeoutMs' | 'antiEntropyIntervalMs' | 'backgroundYieldAtMs' | 'hintQuotaBytes' | 'hintQuotaPerTargetBytes' | 'hintMaxAgeMs' | 'ringCheckpoints'>

export interface DaemonOptions extends EngineOptions {
  readonly dataDir: string
  readonly listen: readonly string[]
  readonly announce: readonly string[]
  readonly http: HostPort
  readonly bootstrap: readonly string[]
  readonly cluster: string
  /**
   * The cluster secret file (`ringstore secret`): join only the cluster it defines.
   * Undefined (and no `admission`): DATA_DIR/cluster-secret, created at first start (trust.ts).
   */
  readonly clusterSecret?: string
  /** --admission: join with a certificate from `ringstore admit` instead of a secret. */
  readonly admission?: AdmissionOption
  readonly logLevel: LogLevel
  /** Largest PUT body accepted (bytes): at most the engine's value limit. */
  readonly maxBodyBytes: number
  /** Key-value requests in progress beyond which the HTTP API answers 503 `overloaded` (0 = no bound). */
  readonly maxInflight: number
  readonly relay: boolean
  /** --http-token-file: the HTTP API's bearer token; undefined = DATA_DIR/http-token (http-token.ts). */
  readonly httpTokenFile?: string
  /** --allow-origin: origins whose pages may call the API (http/access.ts). */
  readonly allowOrigins: readonly string[]
  /** --http-host: further names the Host header may carry. */
  readonly httpHosts: readonly string[]
  /** --metrics-open: GET /metrics without the token. */
  readonly metricsOpen: boolean
  /** --http-max-connections: open HTTP connections at most (0 = no bound; http/connections.ts). */
  readonly httpMaxConnections: number
  /** --http-idle-timeout-ms: an HTTP connection idle this long is closed. */
  readonly httpIdleTimeoutMs: number
  /** --allow-empty-store: start even when the store is missing or empty under an identity that had one (store-marker.ts). */
  readonly allowEmptyStore: boolean
}

export interface AdmissionOption {
  /** The file holding the line `ringstore admit` printed. */
  readonly file: string
  /** --weight and --zone when given; absent, the certificate's maxWeight and zone are used. */
  readonly weight?: number
  readonly zone?: string
}

const startOptions = {
  'data-dir': { type: 'string' },
  listen: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  http: { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  cluster: { type: 'string' },
  'cluster-secret': { type: 'string' },
  admission: { type: 'string' },
  q: { type: 'string' },
  n: { type: 'string' },
  r: { type: 'string' },
  w: { type: 'string' },
  weight: { type: 'string' },
  zone: { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'anti-entropy-interval-ms': { type: 'string' },
  'background-yield-at': { type: 'string' },
  'hint-quota': { type: 'string' },
  'hint-quota-per-target': { type: 'string' },
  'hint-max-age': { type: 'string' },
  'log-level': { type: 'string' },
  'max-body': { type: 'string' },
  'max-inflight': { type: 'string' },
  'no-relay': { type: 'boolean' },
  'ring-checkpoints': { type: 'boolean' },
  'no-ring-checkpoints': { type: 'boolean' },
  'http-token-file': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'http-host': { type: 'string', multiple: true },
  'metrics-open': { type: 'boolean' },
  'http-max-connections': { type: 'string' },
  'http-idle-timeout-ms': { type: 'string' },
  'allow-empty-store': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

/** `null` when --help was asked for. */
export function parseStartArgs (argv: readonly string[]): DaemonOptions | null {
  const { values } = usage(() => parseArgs({ args: [...argv], options: startOptions, strict: true, allowPositionals: false }))
  if (values.help === true) return null
  const n = intOption('n', values.n, DEFAULT_CONFIG.n, 1, MAX_REPLICAS)
  const r = intOption('r', values.r, Math.min(DEFAULT_CONFIG.r, n), 1, n)
  const w = intOption('w', values.w, Math.min(DEFAULT_CONFIG.w, n), 1, n)
  const q = intOption('q', values.q, DEFAULT_CONFIG.q, 1, MAX_Q)
  if ((q & (q - 1)) !== 0) throw new UsageError(`--q must be a power of two, got ${q}`)
  const weight = numberOption('weight', values.weight, DEFAULT_CONFIG.weight, 0, MAX_WEIGHT)
  const zone = zoneName(values.zone ?? DEFAULT_CONFIG.zone)
  if (values.admission !== undefined && values['cluster-secret'] !== undefined) {
    // A secret holder admits itself; a certificate is for peers that must not hold the secret.
    throw new UsageError('--admission and --cluster-secret exclude each other: give the secret to daemons that may admit peers, a certificate to the others')
  }
  const admission: AdmissionOption | undefined = values.admission === undefined
    ? undefined
    : {
        file: nonEmpty('admission', values.admission),
        ...(values.weight === undefined ? {} : { weight }),
        ...(values.zone === undefined ? {} : { zone })
      }
  return {
    dataDir: nonEmpty('data-dir', values['data-dir'] ?? DEFAULT_DATA_DIR),
    listen: values.listen ?? DEFAULT_LISTEN,
    announce: values.announce ?? [],
    http: parseHostPort(values.http ?? `${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}`),
    bootstrap: values.bootstrap ?? [],
    cluster: clusterName(values.cluster ?? DEFAULT_CLUSTER),
    ...(values['cluster-secret'] === undefined ? {} : { clusterSecret: nonEmpty('cluster-secret', values['cluster-secret']) }),
    ...(admission === undefined ? {} : { admission }),
    q,
    n,
    r,
    w,
    weight,
    zone,
    requestTimeoutMs: intOption('request-timeout-ms', values['request-timeout-ms'], DEFAULT_CONFIG.requestTimeoutMs, 1, MAX_OPTION_MS),
    antiEntropyIntervalMs: intOption('anti-entropy-interval-ms', values['anti-entropy-interval-ms'], DEFAULT_CONFIG.antiEntropyIntervalMs, 0, MAX_OPTION_MS),
    backgroundYieldAtMs: durationOption('background-yield-at', values['background-yield-at'], DEFAULT_CONFIG.backgroundYieldAtMs, 1, MAX_OPTION_MS),
    hintQuotaBytes: bytesOption('hint-quota', values['hint-quota'], DEFAULT_CONFIG.hintQuotaBytes, 0, MAX_HINT_QUOTA_BYTES),
    hintQuotaPerTargetBytes: bytesOption('hint-quota-per-target', values['hint-quota-per-target'], DEFAULT_CONFIG.hintQuotaPerTargetBytes, 0, MAX_HINT_QUOTA_BYTES),
    hintMaxAgeMs: durationOption('hint-max-age', values['hint-max-age'], DEFAULT_CONFIG.hintMaxAgeMs, 1, MAX_HINT_AGE_MS),
    ringCheckpoints: ringCheckpointsOption(values['ring-checkpoints'], values['no-ring-checkpoints']),
    logLevel: logLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL),
    maxBodyBytes: intOption('max-body', values['max-body'], LIMITS.valueBytes, 0, LIMITS.valueBytes),
    maxInflight: intOption('max-inflight', values['max-inflight'], DEFAULT_MAX_INFLIGHT, 0, MAX_INFLIGHT_LIMIT),
    relay: values['no-relay'] !== true,
    ...(values['http-token-file'] === undefined ? {} : { httpTokenFile: nonEmpty('http-token-file', values['http-token-file']) }),
    allowOrigins: (values['allow-origin'] ?? []).map(originOption),
    httpHosts: (values['http-host'] ?? []).map(hostNameOption),
    metricsOpen: values['metrics-open'] === true,
    httpMaxConnections: intOption('http-max-connections', values['http-max-connections'], DEFAULT_HTTP_MAX_CONNECTIONS, 0, MAX_HTTP_CONNECTIONS_LIMIT),
    httpIdleTimeoutMs: intOption('http-idle-timeout-ms', values['http-idle-timeout-ms'], DEFAULT_HTTP_IDLE_TIMEOUT_MS, MIN_HTTP_IDLE_TIMEOUT_MS, MAX_OPTION_MS),
    allowEmptyStore: values['allow-empty-store'] === true
  }
}

/**
 * An exact origin, `scheme://host[:port]` as a browser sends it: no `*` (that is what the
 * lockdown removed), no `null` (sandboxed frames and file: pages all share it), no path.
 */
export function originOption (text: string): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== text.replace(/\/$/, '')) {
    throw new UsageError(`--allow-origin must be an origin like http://localhost:5173 (scheme, host, port; no path, no *), got '${text}'`)
  }
  return url.origin
}

/** A DNS name or address, with an optional port: what a Host header may carry. */
export function hostNameOption (text: string): string {
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/.test(text)) {
    throw new UsageError(`--http-host must be a host name or address, optionally with :PORT, got '${text}'`)
  }
  return text.toLowerCase()
}

export interface ClusterOptions {
  readonly baseDir: string
  readonly peers: number
  readonly httpPort: number
  readonly p2pPort: number
  readonly logLevel: LogLevel
  /** Extra arguments handed to every `ringstore start`. */
  readonly passThrough: readonly string[]
}

const clusterOptions = {
  'base-dir': { type: 'string' },
  peers: { type: 'string' },
  'http-port': { type: 'string' },
  'p2p-port': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

/** Arguments after `--` are passed to every daemon. `null` when --help was asked for. */
export function parseClusterArgs (argv: readonly string[]): ClusterOptions | null {
  const split = argv.indexOf('--')
  const own = split < 0 ? argv : argv.slice(0, split)
  const { values } = usage(() => parseArgs({ args: [...own], options: clusterOptions, strict: true, allowPositionals: false }))
  if (values.help === true) return null
  return {
    baseDir: nonEmpty('base-dir', values['base-dir'] ?? DEFAULT_CLUSTER_BASE_DIR),
    peers: intOption('peers', values.peers, DEFAULT_CLUSTER_PEERS, 1, MAX_LOCAL_PEERS),
    httpPort: intOption('http-port', values['http-port'], DEFAULT_CLUSTER_HTTP_PORT, 1, 65535 - MAX_LOCAL_PEERS),
    p2pPort: intOption('p2p-port', values['p2p-port'], DEFAULT_CLUSTER_P2P_PORT, 1, 65535 - WS_PORT_OFFSET - MAX_LOCAL_PEERS),
    logLevel: logLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL),
    passThrough: split < 0 ? [] : argv.slice(split + 1)
  }
}

/** Runs parseArgs, turning its errors into UsageError. */
export function usage<T> (parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    // parseArgs' messages name the flag ("Unknown option '--x'"); keep them, drop the stack.
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (= 127.0.0.1). Port 0 = any free port. */
export function parseHostPort (text: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text)
  const port = Number(match?.[3])
  if (match === null || port > 65535) throw new UsageError(`--http must be HOST:PORT (port 0-65535, [::1]:PORT for IPv6), got '${text}'`)
  const host = match[1] ?? (match[2] === '' || match[2] === undefined ? DEFAULT_HTTP.host : match[2])
  return { host, port }
}

export function intOption (name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback
  if (!/^\d{1,16}$/.test(text)) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${text}'`)
  const value = Number(text)
  if (value < min || value > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${value}`)
  return value
}

export function numberOption (name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN
  if (!(value >= min && value <= max)) throw new UsageError(`--${name} must be a number in ${min}..${max}, got '${text}'`)
  return value
}

function nonEmpty (name: string, text: string): string {
  if (text === '') throw new UsageError(`--${name} must not be empty`)
  return text
}

/** Goes into a gossipsub topic name: keep it to a safe alphabet. */
const CLUSTER_NAME = new RegExp(`^[A-Za-z0-9._-]{1,${MAX_CLUSTER_NAME_CHARS}}$`)

function clusterName (text: string): string {
  if (!CLUSTER_NAME.test(text)) throw new UsageError(`--cluster must be 1-${MAX_CLUSTER_NAME_CHARS} characters of A-Z a-z 0-9 . _ -, got '${text}'`)
  return text
}

export function zoneName (text: string): string {
  if (text === '' || new TextEncoder().encode(text).byteLength > LIMITS.zoneBytes) {
    throw new UsageError(`--zone must be 1-${LIMITS.zoneBytes} bytes, got '${text}'`)
  }
  return text
}

function logLevel (text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${text}'`)
  return text as LogLevel
}

/**
 * On unless --no-ring-checkpoints (peer config.ts `ringCheckpoints`); --ring-checkpoints,
 * the switch from when they were off by default, is still taken.
 */
function ringCheckpointsOption (on: boolean | undefined, off: boolean | undefined): boolean {
  if (on === true && off === true) throw new UsageError('--ring-checkpoints and --no-ring-checkpoints contradict each other')
  return off !== true
}
