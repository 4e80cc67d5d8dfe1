// Users read README.md and docs/ inside the installed package (and on the registry's page, built from
// the same tarball): every relative link there must resolve to a file the tarball holds, and every
// #anchor to a heading of that file. The file list is npm's own (`npm pack --dry-run`).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path/posix'
import { before, test } from 'node:test'
import { promisify } from 'node:util'
import { REPO } from './ensure-build.js'

const exec = promisify(execFile)
let shipped: Set<string>

before(async () => {
  // --ignore-scripts: the list of files does not depend on the build, and prepare would build.
  const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 })
  const [result] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>
  shipped = new Set(result?.files.map((file) => file.path))
})

/** The links of a Markdown text outside code: `[text](target)` with a relative target. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
}

/** The anchors GitHub (and the registry) give a file's headings: lowercase, punctuation dropped, spaces as `-`. */
function headingAnchors(markdown: string): Set<string> {
  const prose = markdown.replace(/```[\s\S]*?```/g, '')
  const anchors = new Set<string>()
  for (const [, heading] of prose.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const text = (heading as string).replace(/`/g, '').trim().toLowerCase()
    anchors.add(text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'))
  }
  return anchors
}

test('every relative link in the shipped Markdown resolves inside the package, anchors included', async () => {
  const markdown = [...shipped].filter((path) => path.endsWith('.md'))
  assert.ok(markdown.includes('README.md') && markdown.some((path) => path.startsWith('docs/')), 'README.md and docs/ ship')
  const broken: string[] = []
  for (const file of markdown) {
    const text = await readFile(join(REPO, file), 'utf8')
    for (const link of relativeLinks(text)) {
      const [path = '', anchor] = link.split('#')
      const target = path === '' ? file : normalize(join(dirname(file), decodeURI(path)))
      if (!shipped.has(target)) {
        broken.push(`${file}: ${link} (${target} is not in the package)`)
        continue
      }
      if (anchor !== undefined && target.endsWith('.md')) {
        const anchors = headingAnchors(await readFile(join(REPO, target), 'utf8'))
        if (!anchors.has(anchor)) broken.push(`${file}: ${link} (no heading #${anchor} in ${target})`)
      }
    }
  }
  assert.deepEqual(broken, [])
})

test('the link check sees a broken link and a broken anchor', () => {
  assert.deepEqual(relativeLinks('see [a](docs/a.md#x), [b](https://x.example/), `[c](d.md)` and [e](../e.ts)'), ['docs/a.md#x', '../e.ts'])
  assert.ok(headingAnchors('## Proxies and custom CAs\n## `npm test`, briefly').has('proxies-and-custom-cas'))
  assert.ok(headingAnchors('## `npm test`, briefly').has('npm-test-briefly'))
})
