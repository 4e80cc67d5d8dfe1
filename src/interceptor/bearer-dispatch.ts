import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { RetryOnUnauthorized } from '../fetch/bearer-setup.js'
import { carried, type CarriedToken } from '../fetch/carried-token.js'
import type { SourcedToken, TokenRenewal, TokenSource } from '../fetch/token-source.js'
import { isDpopNonceChallenge, isInvalidTokenChallenge } from '../fetch/www-authenticate.js'
import { withAuthorization } from './dispatch-headers.js'

/**
 * The controller the caller's handler sees for the whole exchange: it outlives each attempt, so an
 * abort while the token is being fetched, or between a rejected attempt and its repeat, still lands.
 */
class ExchangeController implements Dispatcher.DispatchController {
  readonly #tokenFetch = new AbortController()
  #attempt: Dispatcher.DispatchController | undefined
  #reason: Error | null = null
  #paused = false

  get aborted(): boolean {
    return this.#reason !== null
  }

  get paused(): boolean {
    return this.#paused
  }

  get reason(): Error | null {
    return this.#reason
  }

  /** Fires when the caller aborts: cancels a token fetch in progress. */
  get signal(): AbortSignal {
    return this.#tokenFetch.signal
  }

  abort(reason: Error): void {
    if (this.#reason !== null) return
    this.#reason = reason
    this.#tokenFetch.abort(reason)
    this.#attempt?.abort(reason)
  }

  pause(): void {
    this.#paused = true
    this.#attempt?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#attempt?.resume()
  }

  /** Follows the controller of a new attempt, passing on an abort or pause that came first. */
  attach(attempt: Dispatcher.DispatchController): void {
    this.#attempt = attempt
    if (this.#reason !== null) attempt.abort(this.#reason)
    else if (this.#paused) attempt.pause()
  }
}

/** What one bearer exchange needs. */
export interface BearerExchangeOptions {
  dispatch: Dispatcher.Dispatch
  options: Dispatcher.DispatchOptions
  handler: Dispatcher.DispatchHandler
  renewal: TokenRenewal
  retryOn: RetryOnUnauthorized
  replayable: boolean
  /** The client the tokens come from: for a DPoP token, what makes its proofs. */
  client: TokenSource
  /** Where the request goes (the dispatch's origin and path): a DPoP proof's `htu`, and whose nonce it carries. */
  url: URL
}

/**
 * One request sent with a bearer token: gets the token, dispatches, and on a 401 that rejects the
 * token (when the body can be sent again, and the 401 answers the request itself rather than the
 * end of a redirect followed below) gets a new token and dispatches once more, hiding the rejected
 * attempt from the caller's handler.
 */
export class BearerExchange {
  readonly #controller = new ExchangeController()
  readonly #options: BearerExchangeOptions
  #failed = false

  constructor(options: BearerExchangeOptions) {
    this.#options = options
  }

  /** Starts the exchange; the caller's handler gets every callback from here on. */
  start(): void {
    this.#options.handler.onRequestStart?.(this.#controller, {})
    if (this.#controller.aborted) return this.fail(this.#controller.reason as Error)
    const { replayable, retryOn } = this.#options
    this.#options.renewal.current(this.#controller.signal).then(
      (token) => this.#send(token, replayable && retryOn !== 'never', replayable),
      (error: unknown) => this.fail(error as Error),
    )
  }

  /** Reports the exchange's failure to the caller's handler, once. */
  fail(error: Error): void {
    if (this.#failed) return
    this.#failed = true
    this.#options.handler.onResponseError?.(this.#controller, error)
  }

  /** Whether a response to a request with `token` rejects the token and should be repeated. */
  rejects(statusCode: number, headers: IncomingHttpHeaders, token: CarriedToken): boolean {
    if (statusCode !== 401) return false
    if (this.#options.retryOn === 'any-401') return true
    return isInvalidTokenChallenge(headers['www-authenticate'], token.dpop === undefined ? 'bearer' : 'dpop')
  }

  /**
   * Whether a response asks for the resource's DPoP nonce (RFC 9449 §9: a 401 with
   * `DPoP error="use_dpop_nonce"`); its `DPoP-Nonce`, kept by then, is `nonce`.
   */
  wantsNonce(statusCode: number, headers: IncomingHttpHeaders, nonce: string | undefined): boolean {
    return statusCode === 401 && nonce !== undefined && isDpopNonceChallenge(headers['www-authenticate'])
  }

  /** Where the request goes. */
  get url(): URL {
    return this.#options.url
  }

  /** Repeats the request with a token other than the rejected one. */
  repeat(rejected: string): void {
    if (this.#controller.aborted) return this.fail(this.#controller.reason as Error)
    this.#options.renewal.replace(rejected, this.#controller.signal).then(
      (token) => this.#send(token, false, false),
      (error: unknown) => this.fail(error as Error),
    )
  }

  /** Sends the request again with the same token and a new proof, which carries the nonce the resource just gave. */
  resendWithNonce(token: CarriedToken, mayRenew: boolean): void {
    if (this.#controller.aborted) return this.fail(this.#controller.reason as Error)
    this.#dispatch(token, mayRenew, false)
  }

  #send(sourced: SourcedToken, mayRenew: boolean, mayNonceRetry: boolean): void {
    if (this.#controller.aborted) return this.fail(this.#controller.reason as Error)
    let token: CarriedToken
    try {
      token = carried(this.#options.client, sourced)
    } catch (error) {
      return this.fail(error as Error)
    }
    this.#dispatch(token, mayRenew, mayNonceRetry)
  }

  #dispatch(token: CarriedToken, mayRenew: boolean, mayNonceRetry: boolean): void {
    const { dispatch, options, url } = this.#options
    const attempt = new AttemptHandler(this, this.#options.handler, this.#controller, token, mayRenew, mayNonceRetry)
    const go = (proof: string | undefined) => {
      if (this.#controller.aborted) return this.fail(this.#controller.reason as Error)
      try {
        dispatch({ ...options, headers: withAuthorization(options.headers, token.scheme, token.accessToken, proof) }, attempt)
      } catch (error) {
        this.fail(error as Error)
      }
    }
    if (token.dpop === undefined) return go(undefined)
    // A new proof for each dispatch: this request's method and URL, the resource's nonce.
    token.dpop.proof(token.accessToken, options.method, url).then(go, (error: unknown) => this.fail(error as Error))
  }
}

/**
 * Fails a dispatch before anything was sent, through the handler as undici fails a request it
 * cannot send (a handler without `onResponseError` gets the error thrown).
 */
export function failDispatch(handler: Dispatcher.DispatchHandler, error: Error): false {
  if (typeof handler.onResponseError !== 'function') throw error
  const controller = new ExchangeController()
  controller.abort(error)
  handler.onResponseError(controller, error)
  return false
}

/**
 * True when the dispatcher below followed a redirect to start this hop: undici's redirect handler
 * passes the URLs it left behind as `context.history`.
 */
export function followedRedirect(context: unknown): boolean {
  if (typeof context !== 'object' || context === null) return false
  const history: unknown = (context as { history?: unknown }).history
  return Array.isArray(history) && history.length > 0
}

/** The handler of one attempt: forwards every callback to the caller's handler, unless it repeats. */
class AttemptHandler implements Dispatcher.DispatchHandler {
  #repeating: 'renew' | 'nonce' | undefined
  #redirected = false

  constructor(
    private readonly exchange: BearerExchange,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly controller: ExchangeController,
    private readonly token: CarriedToken,
    private readonly mayRenew: boolean,
    private readonly mayNonceRetry: boolean,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // The caller's handler had its onRequestStart when the exchange began; it keeps one controller.
    this.controller.attach(controller)
    // A redirect followed below us may have left the origin (the redirect handler then drops the
    // token), or turned the request into a GET; either way the final 401 is not known to speak of
    // the token, and sending the request again would repeat the first hop. So it reaches the caller.
    if (followedRedirect(context)) {
      this.#redirected = true
      // Below us, the redirect handler sends the same headers again, and drops no DPoP proof on a
      // hop to another origin: the proof, made for the first hop, would go there. Stopped before it is sent.
      if (this.token.dpop !== undefined) {
        controller.abort(
          new Error(
            'a redirect was followed below tokenInterceptor with a DPoP token: compose tokenInterceptor() before interceptors.redirect(), so that each hop gets its own proof',
          ),
        )
      }
    }
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    // Every answer may carry the resource's next nonce (RFC 9449 §9).
    const nonce = this.token.dpop?.takeNonce(this.exchange.url, headers['dpop-nonce'])
    if (!this.#redirected) {
      if (this.mayNonceRetry && this.exchange.wantsNonce(statusCode, headers, nonce)) {
        this.#repeating = 'nonce'
        return
      }
      if (this.mayRenew && this.exchange.rejects(statusCode, headers, this.token)) {
        this.#repeating = 'renew'
        return
      }
    }
    this.handler.onResponseStart?.(this.controller, statusCode, headers, statusMessage)
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#repeating !== undefined) return
    this.handler.onResponseData?.(this.controller, chunk)
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.#repeating === 'nonce') return this.exchange.resendWithNonce(this.token, this.mayRenew)
    if (this.#repeating === 'renew') return this.exchange.repeat(this.token.accessToken)
    this.handler.onResponseEnd?.(this.controller, trailers)
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.exchange.fail(error)
  }
}
