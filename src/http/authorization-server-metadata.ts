import { Dispatcher } from 'undici'
import { abortFailure } from '../abort/abort-failure.js'
import type { LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import { TimedAbort } from '../abort/timed-abort.js'
import { printableText } from '../errors/printable-text.js'
import { DiscoveryError, TokenClientError, TransportError } from '../errors/token-client-error.js'
import { transportFailure } from '../retry/retry-policy.js'
import { headerValue } from './post-form.js'
import { readBody } from './read-body.js'
import { parseTokenUrl } from './token-url.js'

/** What the client takes from authorization server metadata (RFC 8414 §2), checked. */
export interface DiscoveredMetadata {
  /** `token_endpoint`, held to the rules of the `tokenUrl` option. */
  readonly tokenUrl: URL
  /** `token_endpoint_auth_methods_supported`; `undefined` when the document has none (RFC 8414: then `client_secret_basic`). */
  readonly authMethods: readonly string[] | undefined
  /**
   * `mtls_endpoint_aliases.token_endpoint` (RFC 8705 §5), held to the same rules as `token_endpoint`:
   * where a client with a TLS certificate sends its token requests; `undefined` when there is none.
   */
  readonly mtlsTokenUrl: URL | undefined
  /**
   * `dpop_signing_alg_values_supported` (RFC 9449 §5.1): the proof algorithms the server takes;
   * `undefined` when the document has none, `'malformed'` when it is not a list of strings (which only
   * a client with DPoP refuses: the others never read it).
   */
  readonly dpopAlgorithms: readonly string[] | 'malformed' | undefined
}

/** Limits of one discovery. */
export interface MetadataLimits {
  /** Each location's request fails with a `TIMEOUT` (the cause of the `DISCOVERY_ERROR`) after this long. */
  readonly timeoutMs: number
  /** A larger metadata document is refused. */
  readonly maxResponseBytes: number
  readonly allowInsecureHttp: boolean
  readonly userAgent: string
}

const OAUTH_WELL_KNOWN = '/.well-known/oauth-authorization-server'
const OIDC_WELL_KNOWN = '/.well-known/openid-configuration'

/**
 * Where the metadata of `issuer` is looked for, in order: RFC 8414 §3.1 (the well-known path inserted
 * between the host and the issuer's path), then OpenID Connect Discovery 1.0 §4 (appended to the
 * issuer). An issuer without a path has the two at the root. A terminating `/` is dropped first, as
 * both specifications say.
 *
 * @example
 * metadataLocations(new URL('https://id.example.com/tenant')).map(String)
 * // ['https://id.example.com/.well-known/oauth-authorization-server/tenant',
 * //  'https://id.example.com/tenant/.well-known/openid-configuration']
 */
export function metadataLocations(issuer: URL): URL[] {
  const path = issuer.pathname.replace(/\/$/, '')
  return [new URL(`${OAUTH_WELL_KNOWN}${path}`, issuer.origin), new URL(`${path}${OIDC_WELL_KNOWN}`, issuer.origin)]
}

/**
 * Checks a metadata document against the configured issuer: a JSON object whose `issuer` is the
 * configured one exactly (RFC 8414 §3.3, against mix-up attacks: no normalising), with a
 * `token_endpoint` that passes the `tokenUrl` rules, `token_endpoint_auth_methods_supported`, when
 * present, a list of strings, and `mtls_endpoint_aliases`, when present, a JSON object whose
 * `token_endpoint`, when present, passes the `tokenUrl` rules too (RFC 8705 §5; its other aliases are
 * not read). Throws a {@link DiscoveryError} saying what is wrong.
 */
export function checkMetadata(document: unknown, issuer: string, allowInsecureHttp: boolean): DiscoveredMetadata {
  const refuse = (reason: string): never => {
    throw new DiscoveryError({ issuer, reason, status: 200 })
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return refuse('the metadata is not a JSON object')
  const metadata = document as Record<string, unknown>
  if (metadata['issuer'] !== issuer) {
    const got = typeof metadata['issuer'] === 'string' ? `'${printableText(metadata['issuer'], 300)}'` : 'missing'
    return refuse(`the metadata's issuer is ${got}, not the configured one (RFC 8414 §3.3): check issuer`)
  }
  const endpoint = metadata['token_endpoint']
  if (typeof endpoint !== 'string') return refuse('the metadata has no token_endpoint')
  let tokenUrl: URL
  try {
    tokenUrl = parseTokenUrl(endpoint, allowInsecureHttp, 'token_endpoint')
  } catch (error) {
    return refuse(`the metadata's ${(error as Error).message}`)
  }
  const methods = metadata['token_endpoint_auth_methods_supported']
  if (methods !== undefined && !(Array.isArray(methods) && methods.every((method) => typeof method === 'string'))) {
    return refuse('the metadata\'s token_endpoint_auth_methods_supported is not a list of strings')
  }
  const aliases = metadata['mtls_endpoint_aliases']
  let mtlsTokenUrl: URL | undefined
  if (aliases !== undefined) {
    if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) return refuse("the metadata's mtls_endpoint_aliases is not a JSON object (RFC 8705 §5)")
    const alias = (aliases as Record<string, unknown>)['token_endpoint']
    if (alias !== undefined) {
      if (typeof alias !== 'string') return refuse("the metadata's mtls_endpoint_aliases.token_endpoint is not a string")
      try {
        mtlsTokenUrl = parseTokenUrl(alias, allowInsecureHttp, 'mtls_endpoint_aliases.token_endpoint')
      } catch (error) {
        return refuse(`the metadata's ${(error as Error).message}`)
      }
    }
  }
  const dpopAlgorithms = metadata['dpop_signing_alg_values_supported']
  const dpopMalformed = dpopAlgorithms !== undefined && !(Array.isArray(dpopAlgorithms) && dpopAlgorithms.every((alg) => typeof alg === 'string'))
  return {
    tokenUrl,
    authMethods: methods === undefined ? undefined : Object.freeze([...(methods as string[])]),
    mtlsTokenUrl,
    dpopAlgorithms: dpopMalformed ? 'malformed' : dpopAlgorithms === undefined ? undefined : Object.freeze([...(dpopAlgorithms as string[])]),
  }
}

const requestApi = Dispatcher.prototype.request

function noop(): void {}

/**
 * Fetches and checks the metadata of `issuer` through `dispatcher`, location by location
 * ({@link metadataLocations}): a location that answers a status other than 200 passes to the next; the
 * first 200 decides. A network failure or a timeout ends the discovery at once. Redirects are not
 * followed. Every failure is a {@link DiscoveryError}, the network's or the timeout's error as its
 * `cause`; an abort of `signal` (`close()`) rejects with its reason.
 */
export async function fetchMetadata(
  dispatcher: Dispatcher,
  issuer: URL,
  configured: string,
  limits: MetadataLimits,
  signal: LazyAbortSignal,
): Promise<DiscoveredMetadata> {
  const answers: string[] = []
  let status: number | undefined
  for (const location of metadataLocations(issuer)) {
    const abort = new TimedAbort(signal, { timeoutMs: limits.timeoutMs, limit: 'attempt', limitMs: limits.timeoutMs })
    let body: Buffer | undefined
    try {
      const response = await requestApi.call(dispatcher, {
        origin: location.origin,
        path: location.pathname,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': limits.userAgent },
        signal: abort,
      })
      status = response.statusCode
      if (status !== 200) {
        // Read and dropped (undici's dump(): a little, then the socket goes), never destroyed
        // unread, which undici reports as an 'error' event nobody listens for.
        await response.body.dump().catch(noop)
        answers.push(`${location.pathname} answered ${status}`)
        continue
      }
      const type = headerValue(response.headers['content-type'])
      if (type !== undefined && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
        await response.body.dump().catch(noop)
        throw new DiscoveryError({ issuer: configured, status, reason: `${location.pathname} answered 200 with content type ${printableText(type, 100)}, not JSON` })
      }
      body = await readBody(response.body, limits.maxResponseBytes)
    } catch (error) {
      if (error instanceof DiscoveryError) throw error
      if (abort.aborted) {
        const failure = abortFailure(abort.reason)
        if (failure.code !== 'TIMEOUT') throw failure
        throw new DiscoveryError({ issuer: configured, reason: `${location.pathname} did not answer within ${limits.timeoutMs} ms`, cause: failure })
      }
      if (error instanceof TokenClientError || transportFailure(error) === 'programming') throw error
      throw new DiscoveryError({
        issuer: configured,
        reason: `${location.origin} could not be reached: ${(error as Error).message}`,
        cause: new TransportError(`metadata request failed: ${(error as Error).message}`, error, transportFailure(error) === 'transient'),
      })
    } finally {
      abort.dispose()
    }
    if (body === undefined) {
      throw new DiscoveryError({ issuer: configured, status, reason: `the metadata at ${location.pathname} is larger than ${limits.maxResponseBytes} bytes` })
    }
    let document: unknown
    try {
      document = JSON.parse(body.toString('utf8'))
    } catch {
      throw new DiscoveryError({ issuer: configured, status, reason: `the metadata at ${location.pathname} is not JSON` })
    }
    return checkMetadata(document, configured, limits.allowInsecureHttp)
  }
  throw new DiscoveryError({ issuer: configured, status, reason: `no metadata found (${answers.join(', ')}): check issuer` })
}
