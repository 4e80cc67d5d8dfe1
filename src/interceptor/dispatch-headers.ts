import type { Dispatcher } from 'undici'

type DispatchHeaders = Dispatcher.DispatchOptions['headers']

/** The request headers of a dispatch as name/value pairs, whichever of undici's shapes they came in. */
export function headerPairs(headers: DispatchHeaders): Array<[string, string | string[]]> {
  if (headers === undefined || headers === null) return []
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) return (headers as unknown as Array<[string, string | string[]]>).slice()
    const pairs: Array<[string, string]> = []
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), String(headers[i + 1])])
    return pairs
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(headers as Iterable<[string, string | string[] | undefined]>)].filter(
      (pair): pair is [string, string | string[]] => pair[1] !== undefined,
    )
  }
  return Object.entries(headers as Record<string, string | string[] | undefined>).filter(
    (pair): pair is [string, string | string[]] => pair[1] !== undefined,
  )
}

/** The values of one request header (any case of `name`), in the order they were given. */
export function headerValues(headers: DispatchHeaders, name: string): Array<string | string[]> {
  const wanted = name.toLowerCase()
  return headerPairs(headers)
    .filter(([key]) => key.toLowerCase() === wanted)
    .map(([, value]) => value)
}

/** True when the dispatch already carries an `Authorization` header. */
export function hasAuthorization(headers: DispatchHeaders): boolean {
  return headerValues(headers, 'authorization').length > 0
}

/**
 * The headers with `Authorization: <scheme> <token>` added, as a plain object, and with a DPoP token
 * its `DPoP` proof (in place of any the request had).
 */
export function withAuthorization(
  headers: DispatchHeaders,
  scheme: 'Bearer' | 'DPoP',
  token: string,
  proof?: string,
): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {}
  for (const [name, value] of headerPairs(headers)) {
    if (proof !== undefined && name.toLowerCase() === 'dpop') continue
    const existing = result[name]
    result[name] = existing === undefined ? value : ([] as string[]).concat(existing, value)
  }
  result.authorization = `${scheme} ${token}`
  if (proof !== undefined) result.dpop = proof
  return result
}
