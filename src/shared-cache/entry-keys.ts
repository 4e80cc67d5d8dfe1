import { createHash, createHmac, hkdfSync, scrypt, type KeyObject } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { invalidArgument } from '../errors/invalid-argument.js'

/** One AES-256-GCM key with its id: the id is written beside each sealed entry so that keys can rotate. */
export interface SealingKey {
  /** 8 base64url characters derived from the key; reveals nothing of it. */
  readonly id: string
  readonly key: Buffer
}

/** The keys one client uses on a shared cache: the first seals, every one opens; `naming` makes entry names. */
export interface EntryKeys {
  readonly sealing: readonly SealingKey[]
  /** The HMAC key of entry names. */
  readonly naming: Buffer
}

/** What an explicit encryption key may be: 32 bytes or more, or a string of 32 characters or more. */
export type EncryptionKeyInput = string | Uint8Array | KeyObject

const SALT = Buffer.from('oauth2-client-credentials shared token cache v1')
const MIN_KEY_BYTES = 32

function derive(material: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, SALT, info, 32))
}

function sealingKey(material: Uint8Array, info: string): SealingKey {
  const key = derive(material, `seal ${info}`)
  const id = createHmac('sha256', key).update('key id').digest('base64url').slice(0, 8)
  return { id, key }
}

/**
 * The bytes of explicit encryption keys, checked and copied (a caller's later change to its buffer
 * changes nothing).
 *
 * @throws {TypeError} with code `ERR_INVALID_ARG_VALUE` naming the key that is wrong (never showing it).
 */
export function encryptionKeyMaterial(inputs: readonly EncryptionKeyInput[]): readonly Uint8Array[] {
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalidArgument('encryptionKeys', 'must be a non-empty array of keys')
  return Object.freeze(inputs.map((input, index) => Uint8Array.from(keyMaterial(input, index))))
}

function keyMaterial(input: EncryptionKeyInput, index: number): Uint8Array {
  const name = `encryptionKeys[${index}]`
  let bytes: Uint8Array
  if (typeof input === 'string') bytes = Buffer.from(input, 'utf8')
  else if (input instanceof Uint8Array) bytes = input
  else if (typeof input === 'object' && input !== null && (input as KeyObject).type === 'secret') bytes = (input as KeyObject).export()
  else throw invalidArgument(name, 'must be a string, a Uint8Array or a secret KeyObject')
  if (bytes.byteLength < MIN_KEY_BYTES) {
    throw invalidArgument(name, `must hold at least ${MIN_KEY_BYTES} bytes (try: openssl rand -base64 32)`)
  }
  return bytes
}

/**
 * scrypt's cost for the credential (N = 2^14, r = 8: 16 MiB and some 30 ms of one thread, once per
 * client configuration and process): what one guess of a secret costs someone who can read Redis
 * and wants to test guesses offline against a key id or a name. HKDF alone would let them test
 * tens of thousands a second.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const

/** Keys already worked out in this process, by a hash of what they derive from: clients of one configuration derive once. */
const derived = new LRUCache<string, Promise<EntryKeys>>({ max: 64 })

function stretch(credential: Uint8Array, binding: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(credential, Buffer.concat([SALT, Buffer.from(`\n${binding}`, 'utf8')]), 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/**
 * Works out the keys of one client from its credential and, when given, the explicit encryption keys,
 * on libuv's thread pool (scrypt), once per configuration in a process.
 *
 * The credential is stretched with scrypt and then expanded with HKDF-SHA-256, bound to the client
 * (`binding`: token URL, client id and auth method), so two clients never share a key even with one
 * secret, and each guess of a secret costs scrypt. Entry names are always keyed by the credential:
 * only a process holding it can find (or test a guess against the name of) a client's entries. The
 * sealing keys are the credential's too, unless explicit keys are given: then the first seals, and
 * every one opens (list the new key first, keep the old ones until their entries have expired).
 *
 * @param credential The client's secret (or, for key-based methods, its private key material).
 * @param explicit Checked key bytes from {@link encryptionKeyMaterial}.
 */
export function entryKeys(credential: Uint8Array, binding: string, explicit: readonly Uint8Array[] | undefined): Promise<EntryKeys> {
  const hash = createHash('sha256').update(credential).update('\0').update(binding)
  for (const material of explicit ?? []) hash.update('\0').update(material)
  const id = `${explicit?.length ?? 0}:${hash.digest('base64url')}`
  let keys = derived.get(id)
  if (keys === undefined) {
    keys = stretch(credential, binding).then((master) => ({
      naming: derive(master, `names ${binding}`),
      sealing: explicit === undefined ? [sealingKey(master, binding)] : explicit.map((material) => sealingKey(material, binding)),
    }))
    keys.catch(() => derived.delete(id))
    derived.set(id, keys)
  }
  return keys
}

/** The names of one cache key's entry and lease: an HMAC under a prefix, in one braced hash tag. */
export interface EntryNames {
  readonly entry: string
  readonly lease: string
}

/**
 * The store names of one cache key: `<prefix>{<HMAC>}` and `<prefix>{<HMAC>}:lease`. The HMAC (SHA-256,
 * 128 bits kept) reveals nothing of the key (client id, scope, audience); the braces make a Redis
 * Cluster put the entry and its lease in one hash slot.
 */
export function entryNames(naming: Buffer, prefix: string, cacheKey: string): EntryNames {
  const tag = createHmac('sha256', naming).update(cacheKey).digest('base64url').slice(0, 22)
  const entry = `${prefix}{${tag}}`
  return { entry, lease: `${entry}:lease` }
}
