/**
 * The admission certificate as operators handle it: the one JSON line `ringstore admit`
 * prints, `{"cluster","peer","maxWeight","zone","issuedAt","certificate"}`, where
 * `certificate` is the signed admission (canonical CBOR, core's codec) in base64url and the
 * other fields say what it holds in readable form. `ringstore start --admission FILE` reads
 * exactly that line back (`ringstore admit ... > FILE`), and the demo page takes the
 * `certificate` field as its `?admission=` parameter.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UsageError, decodeSignedAdmission, encodeAdmission, encodeSignedAdmission } from '@ringstore/core'
import type { SignedAdmission } from '@ringstore/core'
import type { Signer } from '@ringstore/peer'

/** Largest certificate file read: the JSON line is a few hundred bytes; anything far larger is not one. */
const MAX_CERTIFICATE_FILE_BYTES = 16 * 1024

/** The line `ringstore admit` prints (without its newline). */
export function certificateLine (signed: SignedAdmission): string {
  const certificate = Buffer.from(encodeSignedAdmission(signed)).toString('base64url')
  return JSON.stringify({ ...signed.admission, certificate })
}

/**
 * The certificate in `path` (a line `certificateLine` wrote), with its signature checked
 * against the cluster it names. Every problem is a UsageError naming the file: it is the
 * operator's command line that points at the wrong thing.
 */
export async function readCertificateFile (path: string, signer: Signer): Promise<SignedAdmission> {
  const file = resolve(path)
  let text: string
  try {
    const bytes = await readFile(file)
    if (bytes.byteLength > MAX_CERTIFICATE_FILE_BYTES) throw new Error(`larger than ${MAX_CERTIFICATE_FILE_BYTES} bytes`)
    text = bytes.toString('utf8')
  } catch (error) {
    throw new UsageError(`--admission ${file}: cannot read it (${error instanceof Error ? error.message : String(error)})`)
  }
  const signed = parseCertificateLine(text, file)
  const { admission, signature } = signed
  if (!await signer.verify(admission.cluster, encodeAdmission(admission), signature)) {
    throw new UsageError(`--admission ${file}: the certificate is not signed by the authority of cluster ${admission.cluster}`)
  }
  return signed
}

function parseCertificateLine (text: string, file: string): SignedAdmission {
  const invalid = (why: string): UsageError =>
    new UsageError(`--admission ${file}: not an admission certificate (${why}); it must hold the line 'ringstore admit' prints`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw invalid('not JSON')
  }
  const certificate = (json as { certificate?: unknown } | null)?.certificate
  if (typeof certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(certificate)) throw invalid('no base64url "certificate" field')
  let signed: SignedAdmission
  try {
    signed = decodeSignedAdmission(new Uint8Array(Buffer.from(certificate, 'base64url')))
  } catch (error) {
    throw invalid(`"certificate" does not decode: ${error instanceof Error ? error.message : String(error)}`)
  }
  // The readable fields are what an operator checks by eye: they must say what is signed.
  for (const [name, value] of Object.entries(signed.admission)) {
    if ((json as Record<string, unknown>)[name] !== value) throw invalid(`"${name}" differs from the signed certificate`)
  }
  return signed
}
