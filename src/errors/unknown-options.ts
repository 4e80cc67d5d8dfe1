import { invalidArgument } from './invalid-argument.js'

/**
 * The names one options object knows, each `true`. Written as `{ ... } satisfies Record<keyof Options, true>`
 * beside the code that reads the options, so that the compiler refuses a list that misses an option.
 */
export type KnownOptions = Readonly<Record<string, true>>

/** Where an options object sits and what to suggest for a wrong name, for the message. */
export interface OptionsContext {
  /** What the options are for: `'TokenClient'`, `'getToken()'`. */
  readonly owner: string
  /** The object's place in the options, such as `'cache'`; none at the top. */
  readonly path?: string
  /** What the value must be, after "must be": @default 'an object' */
  readonly expected?: string
  /**
   * Names users of other libraries type, by what to suggest instead (an option's full path, or a
   * short hint). Compared without letter case, `_` or `-`.
   */
  readonly aliases?: Readonly<Record<string, string>>
  /** The options of objects nested in this one, offered for a misplaced name: `{ cache: CACHE_OPTIONS }`. */
  readonly nested?: Readonly<Record<string, KnownOptions>>
}

/**
 * Refuses a value that is not a plain options object, and an own key the object does not know, with a
 * `TypeError` (code `ERR_INVALID_ARG_VALUE`) naming the key and, where one is close, the option meant.
 * Values are never read, so no secret reaches the message.
 *
 * @example
 * refuseUnknownOptions({ timeout: 5 }, { retry: true }, { owner: 'TokenClient', aliases: { timeout: 'retry.attemptTimeoutMs' } })
 * // TypeError: timeout is not a TokenClient option; did you mean retry.attemptTimeoutMs?
 */
export function refuseUnknownOptions(value: unknown, known: KnownOptions, context: OptionsContext): void {
  const { owner, path } = context
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(path ?? `${owner} options`, `must be ${context.expected ?? 'an object'}`)
  }
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(known, key)) continue
    const name = path === undefined ? displayKey(key) : `${path}.${displayKey(key)}`
    const meant = suggestion(key, known, context)
    throw invalidArgument(
      name,
      `is not a ${owner} option; ${meant === undefined ? `the options are ${Object.keys(known).join(', ')}` : `did you mean ${meant}?`}`,
    )
  }
}

/** A key as it appears in the message: as it is when it looks like a name, else quoted and cut short. */
function displayKey(key: string): string {
  return /^[\w$]{1,64}$/.test(key) ? key : JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)
}

/** The alias, else the known name (this object's first, then a nested one's) closest to `key`, if close enough. */
function suggestion(key: string, known: KnownOptions, context: OptionsContext): string | undefined {
  const typed = comparable(key)
  if (typed.length > 64) return undefined
  for (const [alias, meant] of Object.entries(context.aliases ?? {})) {
    if (comparable(alias) === typed) return meant
  }
  const prefix = context.path === undefined ? '' : `${context.path}.`
  const candidates = [
    ...Object.keys(known).map((name) => [name, prefix + name] as const),
    ...Object.entries(context.nested ?? {}).flatMap(([at, names]) =>
      Object.keys(names).map((name) => [name, `${prefix}${at}.${name}`] as const),
    ),
  ]
  // Short names get no slack: "id" is one edit from too many things.
  const limit = typed.length <= 3 ? 0 : typed.length <= 5 ? 1 : typed.length <= 10 ? 2 : 3
  let best: string | undefined
  let bestDistance = limit + 1
  for (const [name, shown] of candidates) {
    const distance = editDistance(typed, comparable(name))
    if (distance < bestDistance) {
      best = shown
      bestDistance = distance
    }
  }
  return best
}

/** Names compared as people mistype them: `client_id`, `Client-ID` and `clientId` are one name. */
function comparable(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '')
}

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`: optimal string alignment distance. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(row[j - 1]! + 1, rows[i - 1]![j]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1)
    }
  }
  return rows[a.length]![b.length]!
}
