/**
 * Registered clients loaded from a JSON file, so a server (say, in a container for interop tests)
 * can be configured without code and without plaintext secrets:
 *
 * ```json
 * { "clients": [
 *   { "clientId": "svc", "secretHash": "sha256:...", "scopes": ["api:read"] },
 *   { "clientId": "rot", "secrets": [{ "secretHash": "sha256:...", "expiresAt": "2030-01-01T00:00:00Z" }], "scopes": [] }
 * ] }
 * ```
 *
 * Each client takes the fields of `ReferenceClient`; `expiresAt` is an ISO 8601 date-time string.
 */
import { readFile } from 'node:fs/promises'
import { invalidArgument } from '../../errors/invalid-argument.js'
import type { ReferenceClient, ReferenceClientSecret } from './client-registry.js'

const NAME = 'options.clientsFile'

/**
 * Reads a clients file and returns its clients, ready for validation by the registry. An unreadable
 * file rejects with the file system's error (`ENOENT`...); a file that is not JSON, or not of the
 * shape above, rejects with a `TypeError` (`ERR_INVALID_ARG_VALUE`) that names the offending field
 * but never quotes the file.
 *
 * @example
 * const clients = await loadClientsFile('./clients.json')
 */
export async function loadClientsFile(path: string): Promise<ReferenceClient[]> {
  const text = await readFile(path, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // The parser's message may quote the file, secrets and all.
    throw invalidArgument(NAME, 'is not valid JSON')
  }
  return parseClientsDocument(parsed)
}

/**
 * The clients of a parsed clients document: `{ "clients": [...] }`, dates converted from ISO
 * strings. Other fields are passed on as they are, for the registry to validate.
 *
 * @example
 * parseClientsDocument({ clients: [{ clientId: 'svc', secretHash: 'sha256:...', scopes: [] }] })
 */
export function parseClientsDocument(document: unknown): ReferenceClient[] {
  if (!isObject(document) || !Array.isArray(document['clients'])) {
    throw invalidArgument(NAME, 'must hold a JSON object with a "clients" array')
  }
  return document['clients'].map((client: unknown, index) => {
    const name = `${NAME}: clients[${index}]`
    if (!isObject(client)) throw invalidArgument(name, 'must be an object')
    const { secrets } = client
    if (secrets === undefined) return client as unknown as ReferenceClient
    if (!Array.isArray(secrets)) throw invalidArgument(`${name}.secrets`, 'must be an array')
    const converted = secrets.map((secret: unknown, secretIndex): ReferenceClientSecret => {
      const secretName = `${name}.secrets[${secretIndex}]`
      if (!isObject(secret)) throw invalidArgument(secretName, 'must be an object')
      const { expiresAt, ...rest } = secret
      if (expiresAt === undefined) return rest as ReferenceClientSecret
      if (typeof expiresAt !== 'string' || !ISO_DATE_TIME.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
        throw invalidArgument(`${secretName}.expiresAt`, 'must be an ISO 8601 date-time string with a time zone')
      }
      return { ...rest, expiresAt: new Date(expiresAt) } as ReferenceClientSecret
    })
    return { ...client, secrets: converted } as unknown as ReferenceClient
  })
}

// YYYY-MM-DDTHH:MM(:SS(.fff)?)?(Z|±HH:MM): a date alone would be read as UTC midnight, silently.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
