/**
 * How many `TokenClient`s of each configuration are open in this process, to notice the mistake of
 * a client per request: each client has its own cache and connection pool, so 300 clients of one
 * configuration make 300 token requests and open 300 sockets. A client is meant to live as long as
 * the process; past {@link MANY_CLIENTS} open at once, one process warning says so.
 */

/**
 * The `code` of the process warning emitted once, the first time 25 clients of one configuration
 * (token URL, client id and authentication method) are open at the same time.
 *
 * @example
 * process.on('warning', (warning) => {
 *   if ((warning as Error & { code?: string }).code === MANY_CLIENTS_WARNING) log.warn(warning.message)
 * })
 */
export const MANY_CLIENTS_WARNING = 'OAUTH2CC_MANY_CLIENTS'

/** Open clients of one configuration that make the process warn. */
export const MANY_CLIENTS = 25

const openByConfiguration = new Map<string, number>()
let warned = false

/**
 * Counts a new client of `configuration` (any string that identifies it, holding no secret), and
 * warns once per process when that makes {@link MANY_CLIENTS} open at once.
 */
export function countOpenClient(configuration: string): void {
  const open = (openByConfiguration.get(configuration) ?? 0) + 1
  openByConfiguration.set(configuration, open)
  if (open < MANY_CLIENTS || warned) return
  warned = true
  const warning = new Error(
    `${open} TokenClients of one configuration (token URL, client id, auth method) are open at once. ` +
      'Each has its own cache and connection pool, so each asks for tokens of its own: create one client ' +
      'when the process starts and share it (close() the ones you are done with).',
  )
  warning.name = 'Warning'
  process.emitWarning(Object.assign(warning, { code: MANY_CLIENTS_WARNING }))
}

/** Counts a client of `configuration` as closed. */
export function countClosedClient(configuration: string): void {
  const open = (openByConfiguration.get(configuration) ?? 1) - 1
  if (open <= 0) openByConfiguration.delete(configuration)
  else openByConfiguration.set(configuration, open)
}
