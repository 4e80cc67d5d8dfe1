// What every process of the benchmark agrees on: the registered client, the scope asked for,
// and how long each part runs (full or --quick).

/** The client every library authenticates as. Plain characters only, so that every library sends the same bytes. */
export const CLIENT_ID = 'bench'
export const CLIENT_SECRET = 'benchsecret0123456789abcdefghijk'
export const SCOPE = 'api:read'
/** The client of the memory benchmark, allowed {@link MEMORY_SCOPES} distinct scopes. */
export const MEMORY_CLIENT_ID = 'bench-memory'
export const MEMORY_SCOPES = 10_000
export const memoryScope = (index: number): string => `scope:${index}`
/** The client of section 3b, `private_key_jwt` with an ES256 key (its public JWK registered under {@link JWT_KEY_ID}). */
export const JWT_CLIENT_ID = 'bench-jwt'
export const JWT_KEY_ID = 'bench-es256'
/**
 * Section 3c's client lifetime: `expires_in` of its server (seconds), short enough that a token is
 * refreshed ahead and runs out within seconds, and the scopes beyond {@link SCOPE} its client asks for.
 */
export const DISCOVERY_TOKEN_LIFETIME = 4
export const DISCOVERY_SCOPES = ['discovery:1', 'discovery:2', 'discovery:3', 'discovery:4'] as const
/** Section 3c's client lifetime: cached calls after its forced tokens (none should reach the server). */
export const DISCOVERY_CACHED_CALLS = 100
/** `expires_in` of every server, in seconds: long enough that nothing expires during a run. */
export const TOKEN_LIFETIME = 3600

/** `Authorization` header of {@link CLIENT_ID} (form-encoding leaves these characters alone). */
export const BASIC_AUTHORIZATION = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
export const TOKEN_REQUEST_BODY = `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`

export interface Settings {
  readonly quick: boolean
  /** Cached call: rounds, and time per round for the cheap (in-memory) ones. */
  readonly cachedRounds: number
  readonly cachedRoundMs: number
  /** Cached call of a library that makes a request per call: calls per round. */
  readonly networkCallsPerRound: number
  /**
   * Fresh acquisition: processes per client, rounds per process (all processes' rounds interleave),
   * calls per round, the least warm-up calls (more until rounds stop speeding up), untimed calls
   * before each round, and the rotations run first and not recorded (until all processes and the
   * server they share have settled).
   */
  readonly freshProcesses: number
  readonly freshRounds: number
  readonly freshCalls: number
  readonly freshWarmup: number
  readonly freshRewarm: number
  readonly freshUnrecordedRotations: number
  /**
   * Discovery (section 3c): forced tokens over one client's lifetime (at least 200), and new clients
   * of each kind (`issuer`, `tokenUrl`) whose first getToken is timed, after unrecorded ones of each.
   */
  readonly discoveryTokens: number
  readonly discoveryFirstClients: number
  readonly discoveryFirstWarmup: number
  /**
   * DPoP (section 3d): rounds of cached getToken calls for each of the two clients (DPoP and
   * Bearer), alternating in one process, each round as long as `cachedRoundMs`, in each of
   * `freshProcesses` processes. Its requests through createAuthFetch take section 3's settings (`fresh*`).
   */
  readonly dpopHitRounds: number
  /** Cold stampede: the concurrencies, and rounds of each (a new client each round). */
  readonly stampedeSizes: readonly number[]
  readonly stampedeRounds: Readonly<Record<number, number>>
  /** Memory: rounds (a new client each), and how long filling may take before it stops short. */
  readonly memoryRounds: number
  readonly memoryFillBudgetMs: number
  /**
   * Server load: autocannon connections, warm-up and round durations (s), rounds (each server's
   * rounds interleave with the others'), and the untimed load before each round (s).
   */
  readonly loadConnections: number
  readonly loadWarmupSeconds: number
  readonly loadRewarmSeconds: number
  readonly loadSeconds: number
  readonly loadRounds: number
  /**
   * Fleet (a shared cache on a real redis-server): the cold fleet's processes, concurrent calls in
   * each, and rounds, on loopback and then with a token endpoint that answers after `fleetSlowTokenMs`;
   * the steady state's processes, duration (s) and token lifetime (s); samples (after warm-up samples)
   * of the time to token from Redis; rounds of in-process hits; misses per client with Redis down.
   */
  readonly fleetColdProcesses: number
  readonly fleetColdCalls: number
  readonly fleetColdRounds: number
  readonly fleetSlowRounds: number
  readonly fleetSlowTokenMs: number
  readonly fleetSteadyProcesses: number
  readonly fleetSteadySeconds: number
  readonly fleetTokenLifetime: number
  readonly fleetSamples: number
  readonly fleetWarmupSamples: number
  readonly fleetHitRounds: number
  readonly fleetMisses: number
}

export function settings(quick: boolean): Settings {
  return quick
    ? {
        quick,
        cachedRounds: 3,
        cachedRoundMs: 100,
        networkCallsPerRound: 100,
        freshProcesses: 1,
        freshRounds: 3,
        freshCalls: 300,
        freshWarmup: 100,
        freshRewarm: 50,
        freshUnrecordedRotations: 0,
        discoveryTokens: 200,
        discoveryFirstClients: 100,
        discoveryFirstWarmup: 20,
        dpopHitRounds: 6,
        stampedeSizes: [100, 10_000],
        stampedeRounds: { 100: 3, 10_000: 1 },
        memoryRounds: 1,
        memoryFillBudgetMs: 15_000,
        loadConnections: 32,
        loadWarmupSeconds: 1,
        loadRewarmSeconds: 0.5,
        loadSeconds: 2,
        loadRounds: 2,
        fleetColdProcesses: 8,
        fleetColdCalls: 50,
        fleetColdRounds: 3,
        fleetSlowRounds: 2,
        fleetSlowTokenMs: 200,
        fleetSteadyProcesses: 6,
        fleetSteadySeconds: 8,
        fleetTokenLifetime: 4,
        fleetSamples: 500,
        fleetWarmupSamples: 500,
        fleetHitRounds: 4,
        fleetMisses: 100,
      }
    : {
        quick,
        cachedRounds: 7,
        cachedRoundMs: 250,
        networkCallsPerRound: 300,
        freshProcesses: 3,
        freshRounds: 3,
        freshCalls: 1_000,
        freshWarmup: 1_000,
        freshRewarm: 200,
        freshUnrecordedRotations: 2,
        discoveryTokens: 1_000,
        discoveryFirstClients: 400,
        discoveryFirstWarmup: 50,
        dpopHitRounds: 12,
        stampedeSizes: [100, 10_000],
        stampedeRounds: { 100: 5, 10_000: 3 },
        memoryRounds: 3,
        memoryFillBudgetMs: 20_000,
        loadConnections: 32,
        loadWarmupSeconds: 3,
        loadRewarmSeconds: 1,
        loadSeconds: 5,
        loadRounds: 5,
        fleetColdProcesses: 8,
        fleetColdCalls: 50,
        fleetColdRounds: 5,
        fleetSlowRounds: 3,
        fleetSlowTokenMs: 200,
        fleetSteadyProcesses: 6,
        fleetSteadySeconds: 16,
        fleetTokenLifetime: 4,
        fleetSamples: 2_000,
        fleetWarmupSamples: 2_000,
        fleetHitRounds: 8,
        fleetMisses: 200,
      }
}
