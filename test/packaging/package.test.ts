// The package as users meet it: `npm pack`, install the tarball in a temporary project, then use it
// the ways users do: ESM import, require(), TypeScript (node16, bundler, nodenext CommonJS), the CLI.
//
// The temporary project is installed with `npm ci --offline` from a lockfile written here, holding the
// versions of the repository's own lockfile: `npm ci` caches exactly the registry documents that this
// needs, whereas `npm install --offline` asks for full documents that a CI cache does not hold.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { REPO, ensureBuilt } from './ensure-build.js'

const exec = promisify(execFile)
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')

interface PackedFile {
  path: string
}
interface PackResult {
  filename: string
  integrity: string
  files: PackedFile[]
}
interface LockEntry {
  version?: string
  dependencies?: Record<string, string>
  [field: string]: unknown
}

let work: string
let project: string
let packed: PackResult

/** The environment for child processes: none of the outer npm's settings but its cache, no test-runner context. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name) && name !== 'NODE_TEST_CONTEXT' && name !== 'NODE_OPTIONS') env[name] = value
  }
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache
  return { ...env, ...extra }
}

/** The repository lockfile's entries for `names` and everything they depend on, where npm would find them. */
function lockEntries(lock: Record<string, LockEntry>, names: string[]): Record<string, LockEntry> {
  const found: Record<string, LockEntry> = {}
  const visit = (from: string, name: string) => {
    // Node's lookup: the nearest node_modules/<name> from `from` upwards.
    let base = from
    for (;;) {
      const path = `${base === '' ? '' : `${base}/`}node_modules/${name}`
      if (lock[path] !== undefined) {
        if (found[path] === undefined) {
          const { dev: _dev, devOptional: _devOptional, ...entry } = lock[path]
          found[path] = entry
          for (const dependency of Object.keys(entry.dependencies ?? {})) visit(path, dependency)
        }
        return
      }
      assert.notEqual(base, '', `${name} is not in package-lock.json`)
      const at = base.lastIndexOf('/node_modules/')
      base = at === -1 ? '' : base.slice(0, at)
    }
  }
  for (const name of names) visit('', name)
  return found
}

before(async () => {
  await ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'occ-package-'))
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: REPO,
    env: childEnv(),
  })
  packed = (JSON.parse(stdout) as PackResult[])[0] as PackResult

  project = join(work, 'consumer')
  await cp(join(REPO, 'test', 'packaging', 'consumer'), project, { recursive: true })
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown> & {
    version: string
    devDependencies: Record<string, string>
  }
  const repoLock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const dependencies = (pkg.dependencies ?? {}) as Record<string, string>
  const tarball = `file:../${packed.filename}`
  const typesNode = pkg.devDependencies['@types/node'] as string
  const rootDependencies = { 'oauth2-client-credentials': tarball, '@types/node': typesNode }
  const lock = {
    name: 'consumer',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', dependencies: rootDependencies },
      'node_modules/oauth2-client-credentials': {
        version: pkg.version,
        resolved: tarball,
        integrity: packed.integrity,
        license: pkg.license,
        dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
      ...lockEntries(repoLock.packages, [...Object.keys(dependencies), '@types/node']),
    },
  }
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: rootDependencies }, null, 2)}\n`)
  await writeFile(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`)
  await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project, env: childEnv(), timeout: 60_000 })
})

after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('the tarball', () => {
  test('holds only what ships', () => {
    const paths = packed.files.map((file) => file.path).sort()
    for (const path of paths) {
      assert.match(
        path,
        /^(package\.json|README\.md|LICENSE(\.md)?|docs\/[\w-]+\.(md|svg)|examples\/([\w-]+\.ts|README\.md)|dist\/[\w/-]+\.(js|js\.map|d\.ts|d\.ts\.map))$/,
        `${path} should not ship`,
      )
    }
    // What README.md and docs/ link to ships too (test/packaging/docs-links.test.ts checks every link).
    for (const path of ['package.json', 'README.md', 'docs/benchmarks.svg', 'examples/README.md', 'examples/service.ts', 'dist/index.js', 'dist/index.d.ts', 'dist/server/index.js', 'dist/server/index.d.ts', 'dist/cli/bin.js']) {
      assert.ok(paths.includes(path), `${path} ships`)
    }
    assert.ok(!paths.some((path) => /\.test\./.test(path)), 'no test files')
  })

  test('holds no stale build output: every dist/*.js has its source in src/', () => {
    const stale = packed.files
      .map((file) => file.path)
      .filter((path) => path.startsWith('dist/') && path.endsWith('.js'))
      .filter((path) => !existsSync(join(REPO, 'src', path.slice('dist/'.length).replace(/\.js$/, '.ts'))))
    assert.deepEqual(stale, [], 'run `rm -rf dist && npm run build`')
  })

  test('every exports target and the bin are in it', async () => {
    const pkg = JSON.parse(await readFile(join(project, 'node_modules', 'oauth2-client-credentials', 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>
      bin: Record<string, string>
    }
    const targets = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
    for (const target of [...targets, ...Object.values(pkg.bin)]) {
      assert.ok(existsSync(join(project, 'node_modules', 'oauth2-client-credentials', target)), `${target} exists`)
    }
  })
})

describe('installed in a project', { concurrency: true }, () => {
  const node = (args: string[]) => exec(process.execPath, args, { cwd: project, env: childEnv(), timeout: 30_000 })

  test('import: the main entry and ./server load as ES modules and get a token', async () => {
    const { stdout } = await node(['esm.mjs'])
    assert.deepEqual(JSON.parse(stdout), { scope: 'api:read', tokenType: 'Bearer', isError: false })
  })

  test("require(): Node's require of ES modules loads both entries and gets a token", async (t) => {
    // Unflagged from Node 20.19 and 22.12; Node 20.18 (allowed by engines) needs the flag.
    const unflagged = (process.features as { require_module?: boolean }).require_module === true
    const flags = unflagged ? [] : ['--experimental-require-module']
    t.diagnostic(`node ${process.version}: require(esm) ${unflagged ? 'works without a flag' : 'needs --experimental-require-module'}`)
    const { stdout, stderr } = await node([...flags, 'require.cjs'])
    const result = JSON.parse(stdout) as { scope: string; version: string; isError: boolean }
    assert.equal(result.scope, 'api:read')
    assert.equal(result.isError, false)
    if (stderr !== '') t.diagnostic(`stderr: ${stderr.trim()}`)
  })

  test('paths outside the exports map are refused', async () => {
    const { stdout } = await node([
      '--input-type=module',
      '-e',
      "import('oauth2-client-credentials/dist/index.js').then(() => console.log('loaded'), (error) => console.log(error.code))",
    ])
    assert.equal(stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED')
  })

  for (const config of ['node16', 'bundler', 'nodenext-cjs']) {
    test(`TypeScript with tsconfig.${config}.json compiles against the shipped declarations`, async () => {
      const result = await node([TSC, '-p', `tsconfig.${config}.json`]).catch((error: { stdout?: string }) => error)
      assert.equal(result.stdout ?? '', '', 'tsc reports nothing')
    })
  }

  test('npx oauth2-client-credentials --help', async () => {
    const { stdout } = await exec('npx', ['--offline', '--no', '--', 'oauth2-client-credentials', '--help'], { cwd: project, env: childEnv() })
    assert.match(stdout, /^Usage: oauth2-client-credentials <command> \[options\]/)
    assert.match(stdout, /token {4}get a client-credentials access token/)
  })

  test('the installed CLI: serve, then token against it', async () => {
    const bin = join(project, 'node_modules', '.bin', 'oauth2-client-credentials')
    const serve = spawn(bin, ['serve', '--json', '--client', `svc:${RESERVED_SECRET}`, '--scope', 'api:read'], {
      cwd: project,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    serve.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const exited = once(serve, 'exit') as Promise<[number | null]>
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        serve.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')))
        })
        void exited.then(([code]) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)))
      })
      const { tokenUrl } = JSON.parse(line) as { tokenUrl: string }
      const { stdout, stderr } = await exec(
        'npx',
        ['--offline', '--no', '--', 'oauth2-client-credentials', 'token', '--token-url', tokenUrl, '--client-id', 'svc', '--scope', 'api:read', '--header'],
        { cwd: project, env: childEnv({ OAUTH2_CLIENT_SECRET: RESERVED_SECRET }), timeout: 30_000 },
      )
      assert.match(stdout, /^Authorization: Bearer [\w-]{20,}\n$/)
      assert.equal(stderr, '')
      const refused = await exec(bin, ['token', '--token-url', tokenUrl, '--client-id', 'svc', '--scope', 'api:read'], {
        cwd: project,
        env: childEnv({ OAUTH2_CLIENT_SECRET: 'wrong' }),
      }).then(
        () => assert.fail('a wrong secret must fail'),
        (error: { code?: number; stderr?: string }) => error,
      )
      assert.equal(refused.code, 3, 'exit code 3: the server refused')
      assert.match(refused.stderr ?? '', /invalid_client/)
    } finally {
      serve.kill('SIGTERM')
      const [code] = await exited
      assert.equal(code, 0, stderr)
    }
  })
})
