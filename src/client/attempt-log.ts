import type { AcquisitionRecorder, AttemptReport } from '../observability/client-telemetry.js'

/**
 * The HTTP requests of one token request, each told to its recorder once what follows it is known:
 * at once for the one that gave the token and for a DPoP nonce retry (sent again at once); a failure
 * waits for the next attempt to start (then it was retried, and the wait between them is known, p-retry's
 * backoff and a `Retry-After` included) or for the request to end (then nothing followed it).
 */
export class AttemptLog {
  readonly #recorder: AcquisitionRecorder
  #failure: { readonly report: AttemptReport; readonly endedAt: number } | undefined

  constructor(recorder: AcquisitionRecorder) {
    this.#recorder = recorder
  }

  /** An attempt starts: a failure before it was retried. */
  starting(): void {
    const failure = this.#failure
    if (failure === undefined) return
    this.#failure = undefined
    this.#recorder.attempt({ ...failure.report, reason: 'retry', retryDelayMs: performance.now() - failure.endedAt })
  }

  succeeded(report: AttemptReport): void {
    this.#recorder.attempt(report)
  }

  nonceRetry(report: AttemptReport): void {
    this.#recorder.attempt({ ...report, reason: 'dpop-nonce' })
  }

  failed(report: AttemptReport): void {
    this.#failure = { report, endedAt: performance.now() }
  }

  /** The token request failed: its last failure had nothing after it. */
  end(): void {
    const failure = this.#failure
    if (failure === undefined) return
    this.#failure = undefined
    this.#recorder.attempt(failure.report)
  }
}
