/**
 * A small DER (ASN.1 Distinguished Encoding Rules) encoder: just the types an X.509 v3 certificate
 * needs, for `test-certificates.ts`. Every function returns the whole element (tag, length, contents)
 * as a `Buffer`, so elements nest by passing them to `sequence`, `set` or an explicit tag. Plus
 * `readElement`, enough of a reader to take a SubjectPublicKeyInfo apart.
 */

/** The universal tags used here. */
const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const

/**
 * The DER length octets: short form below 128, otherwise 0x80 + the count of big-endian length bytes.
 *
 * @example
 * derLength(300) // <Buffer 82 01 2c>
 */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length ${length} is not a non-negative integer`)
  if (length < 0x80) return Buffer.from([length])
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/**
 * One element: the tag byte, the length and the contents.
 *
 * @example
 * element(0x04, Buffer.from([1, 2])) // <Buffer 04 02 01 02>
 */
export function element(tag: number, contents: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(contents.length), contents])
}

/**
 * A SEQUENCE of the elements, in order.
 *
 * @example
 * sequence(integer(1), boolean(true))
 */
export function sequence(...elements: Uint8Array[]): Buffer {
  return element(TAG.sequence, Buffer.concat(elements))
}

/**
 * A SET OF the elements, sorted by their encodings as DER requires.
 *
 * @example
 * set(sequence(oid('2.5.4.3'), utf8String('svc')))
 */
export function set(...elements: Uint8Array[]): Buffer {
  const sorted = elements.map((item) => Buffer.from(item)).sort(Buffer.compare)
  return element(TAG.set, Buffer.concat(sorted))
}

/**
 * A non-negative INTEGER from a number, a bigint or big-endian unsigned bytes: leading zero bytes
 * are dropped and one 0x00 is put in front when the high bit is set, so the value stays positive.
 *
 * @example
 * integer(2) // <Buffer 02 01 02>
 * integer(Buffer.from([0x80])) // <Buffer 02 02 00 80>
 */
export function integer(value: number | bigint | Uint8Array): Buffer {
  let bytes: Buffer
  if (typeof value === 'number' || typeof value === 'bigint') {
    let rest = BigInt(value)
    if (rest < 0n) throw new RangeError('integer() encodes non-negative values only')
    const list: number[] = []
    do {
      list.unshift(Number(rest & 0xffn))
      rest >>= 8n
    } while (rest > 0n)
    bytes = Buffer.from(list)
  } else {
    bytes = Buffer.from(value)
  }
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  bytes = bytes.subarray(start)
  if (bytes.length === 0) bytes = Buffer.from([0])
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return element(TAG.integer, bytes)
}

/**
 * A BOOLEAN: 0xff for true, 0x00 for false.
 *
 * @example
 * boolean(true) // <Buffer 01 01 ff>
 */
export function boolean(value: boolean): Buffer {
  return element(TAG.boolean, Buffer.from([value ? 0xff : 0x00]))
}

/**
 * NULL (the parameters of an RSA algorithm identifier).
 *
 * @example
 * nullValue() // <Buffer 05 00>
 */
export function nullValue(): Buffer {
  return element(TAG.null, Buffer.alloc(0))
}

/**
 * An OBJECT IDENTIFIER from its dotted form.
 *
 * @example
 * oid('2.5.4.3') // <Buffer 06 03 55 04 03>
 */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`'${dotted}' is not a dotted object identifier`)
  const arcs = dotted.split('.').map((arc) => BigInt(arc))
  const [first = 0n, second = 0n, ...rest] = arcs
  if (first < 2n && second > 39n) throw new RangeError(`'${dotted}' is not a valid object identifier`)
  const bytes: number[] = []
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)]
    for (let more = arc >> 7n; more > 0n; more >>= 7n) chunk.unshift(Number(more & 0x7fn) | 0x80)
    bytes.push(...chunk)
  }
  return element(TAG.oid, Buffer.from(bytes))
}

/**
 * A UTF8String.
 *
 * @example
 * utf8String('Zürich')
 */
export function utf8String(value: string): Buffer {
  return element(TAG.utf8String, Buffer.from(value, 'utf8'))
}

/**
 * A PrintableString: letters, digits, space and `'()+,-./:=?` only.
 *
 * @example
 * printableString('DE') // <Buffer 13 02 44 45>
 */
export function printableString(value: string): Buffer {
  if (!isPrintableString(value)) throw new RangeError('a PrintableString holds letters, digits, space and \'()+,-./:=? only')
  return element(TAG.printableString, Buffer.from(value, 'ascii'))
}

/**
 * True when `value` fits a PrintableString.
 *
 * @example
 * isPrintableString('DE') // true
 * isPrintableString('Zürich') // false
 */
export function isPrintableString(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)
}

/**
 * An IA5String (7-bit ASCII), as in dNSName, rfc822Name and URI, here as the contents only: the SAN
 * GeneralNames use it under an implicit tag (see `contextImplicit`).
 *
 * @example
 * ia5Bytes('localhost') // <Buffer 6c 6f 63 61 6c 68 6f 73 74>
 */
export function ia5Bytes(value: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(value)) throw new RangeError('an IA5String holds 7-bit ASCII only')
  return Buffer.from(value, 'ascii')
}

/**
 * An IA5String element.
 *
 * @example
 * ia5String('a@example.com')
 */
export function ia5String(value: string): Buffer {
  return element(TAG.ia5String, ia5Bytes(value))
}

/**
 * The time as RFC 5280 §4.1.2.5 wants it: UTCTime (`YYMMDDHHMMSSZ`) for 1950 to 2049,
 * GeneralizedTime (`YYYYMMDDHHMMSSZ`) from 2050 on; whole seconds, UTC.
 *
 * @example
 * time(new Date('2030-01-02T03:04:05Z')) // UTCTime '300102030405Z'
 */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear()
  if (!Number.isFinite(date.getTime()) || year < 1950 || year > 9999) throw new RangeError('a certificate time must be a valid date in the years 1950 to 9999')
  const two = (n: number) => String(n).padStart(2, '0')
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`
  if (year < 2050) return element(TAG.utcTime, Buffer.from(`${two(year % 100)}${rest}`, 'ascii'))
  return element(TAG.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'ascii'))
}

/**
 * A BIT STRING of whole bytes (no unused bits), as for a signature or a public key.
 *
 * @example
 * bitString(signature)
 */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) throw new RangeError('a BIT STRING has 0 to 7 unused bits')
  return element(TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]))
}

/**
 * A BIT STRING for a NamedBitList (such as keyUsage) from the numbers of the bits that are set (bit 0
 * is the high bit of the first byte); DER drops the trailing zero bits.
 *
 * @example
 * namedBits([0]) // digitalSignature: <Buffer 03 02 07 80>
 * namedBits([5, 6]) // keyCertSign, cRLSign: <Buffer 03 02 01 06>
 */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0))
  const highest = Math.max(...bits)
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1)
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`bit ${bit} is not a bit number`)
    const index = Math.floor(bit / 8)
    bytes[index] = (bytes[index] ?? 0) | (0x80 >> (bit % 8))
  }
  return bitString(bytes, 7 - (highest % 8))
}

/**
 * An OCTET STRING.
 *
 * @example
 * octetString(Buffer.from([1, 2])) // <Buffer 04 02 01 02>
 */
export function octetString(bytes: Uint8Array): Buffer {
  return element(TAG.octetString, bytes)
}

/**
 * An EXPLICIT context tag `[number]` (constructed) around one whole element, as for the version `[0]`
 * and the extensions `[3]` of a TBSCertificate.
 *
 * @example
 * contextExplicit(0, integer(2)) // [0] { INTEGER 2 }: <Buffer a0 03 02 01 02>
 */
export function contextExplicit(number: number, inner: Uint8Array): Buffer {
  checkTagNumber(number)
  return element(0xa0 | number, inner)
}

/**
 * An IMPLICIT context tag `[number]` (primitive) that replaces the tag of the contents, as for the
 * GeneralNames of subjectAltName: rfc822Name [1], dNSName [2], URI [6], iPAddress [7].
 *
 * @example
 * contextImplicit(2, ia5Bytes('localhost')) // dNSName
 */
export function contextImplicit(number: number, contents: Uint8Array): Buffer {
  checkTagNumber(number)
  return element(0x80 | number, contents)
}

function checkTagNumber(number: number): void {
  if (!Number.isInteger(number) || number < 0 || number > 30) throw new RangeError(`context tag [${number}] is not 0 to 30`)
}

/** One element read from DER: its tag and where its contents are. */
export interface DerElement {
  /** The tag byte (low-tag-number form only). */
  readonly tag: number
  /** The contents (without tag and length). */
  readonly contents: Buffer
  /** The offset just after the element in the buffer read. */
  readonly end: number
}

/**
 * Reads the element that starts at `offset`; throws a `RangeError` when it is truncated.
 *
 * @example
 * const spki = readElement(der) // the SubjectPublicKeyInfo SEQUENCE
 * const algorithm = readElement(spki.contents)
 * const publicKey = readElement(spki.contents, algorithm.end) // the BIT STRING
 */
export function readElement(buffer: Buffer, offset = 0): DerElement {
  const tag = buffer[offset]
  const first = buffer[offset + 1]
  if (tag === undefined || first === undefined) throw new RangeError('DER element is truncated')
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER high tag numbers are not read here')
  let length = first
  let start = offset + 2
  if (first & 0x80) {
    const count = first & 0x7f
    if (count === 0 || count > 4) throw new RangeError('DER length is indefinite or too long')
    length = 0
    for (let i = 0; i < count; i++) {
      const byte = buffer[start + i]
      if (byte === undefined) throw new RangeError('DER element is truncated')
      length = length * 256 + byte
    }
    start += count
  }
  const end = start + length
  if (end > buffer.length) throw new RangeError('DER element is truncated')
  return { tag, contents: buffer.subarray(start, end), end }
}
