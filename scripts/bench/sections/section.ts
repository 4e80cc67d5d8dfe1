// A section of the benchmark: what run.ts asks of each (sections/cached.ts to sections/servers.ts),
// and the progress lines they print while they measure.
import type { Settings } from '../config.js'
import { messageOf, type Outcome } from '../lib/child.js'
import type { Results, SectionId } from '../results.js'
import type { ClientId } from '../subjects/clients.js'

export interface SectionContext {
  readonly settings: Settings
  /** The clients chosen (`--clients`), in the order given. */
  readonly clients: readonly ClientId[]
  /** Prints a line of progress (on stderr). */
  progress(line: string): void
}

export interface Section<K extends SectionId = SectionId> {
  readonly id: K
  /** The heading of the section's progress lines. */
  heading(settings: Settings): string
  /** Every measurement in processes of its own; a failure is an outcome, never a throw. */
  measure(context: SectionContext): Promise<Results[K]>
}

/** Width of the client column of the progress lines. */
export const CLIENT_COLUMN = 14

/** `   floor          36 ns per call  (1.7 s)`: what one measurement gave, and how long it has taken. */
export function progressLine<T>(name: string, width: number, outcome: Outcome<T>, since: number, summary: (value: T) => string): string {
  const seconds = ((performance.now() - since) / 1000).toFixed(1)
  return `   ${name.padEnd(width)} ${outcome.ok ? summary(outcome.value) : `FAILED: ${outcome.error.split('\n')[0]}`}  (${seconds} s)`
}

/** Measures each client in turn, one after another, with a progress line as each is done. */
export async function eachClientInTurn<T>(
  context: SectionContext,
  clients: readonly ClientId[],
  measure: (client: ClientId) => Promise<Outcome<T>>,
  summary: (value: T) => string,
): Promise<Partial<Record<ClientId, Outcome<T>>>> {
  const outcomes: Partial<Record<ClientId, Outcome<T>>> = {}
  for (const client of clients) {
    const since = performance.now()
    const outcome = await measure(client)
    outcomes[client] = outcome
    context.progress(progressLine(client, CLIENT_COLUMN, outcome, since, summary))
  }
  return outcomes
}

/** Progress lines of an interleaved section, which measured all of `ids` at once since `since`. */
export function progressOfAll<K extends string, T>(
  context: SectionContext,
  ids: readonly K[],
  width: number,
  outcomes: Partial<Record<K, Outcome<T>>>,
  since: number,
  summary: (value: T) => string,
): void {
  for (const id of ids) {
    const outcome = outcomes[id]
    if (outcome !== undefined) context.progress(progressLine(id, width, outcome, since, summary))
  }
}

/** The same failure as the outcome of each of `ids`. */
export function failedAll<K extends string, T>(ids: readonly K[], error: unknown): Partial<Record<K, Outcome<T>>> {
  const message = messageOf(error)
  return Object.fromEntries(ids.map((id) => [id, { ok: false, error: message }])) as Partial<Record<K, Outcome<T>>>
}
