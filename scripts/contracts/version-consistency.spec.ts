import assert from 'node:assert/strict'
import { test } from 'node:test'
import { versionProblems } from './version-consistency.ts'

const none = new Map<string, string>()

test('only [Unreleased], any version: consistent (nothing released yet)', () => {
  assert.deepEqual(
    versionProblems({ packageVersion: '0.1.0', changelog: '# C\n\n## [Unreleased]\n', imageFiles: none }),
    [],
  )
})

test('the newest release must be package.json version, below [Unreleased] or on top', () => {
  const changelog = '## [Unreleased]\n\n## [0.2.0] - 2026-01-01\n\n## [0.1.0] - 2025-12-01\n'
  assert.deepEqual(versionProblems({ packageVersion: '0.2.0', changelog, imageFiles: none }), [])
  assert.deepEqual(
    versionProblems({
      packageVersion: '0.2.0',
      changelog: changelog.replace('## [Unreleased]\n\n', ''),
      imageFiles: none,
    }),
    [],
  )
  assert.match(
    versionProblems({ packageVersion: '0.1.0', changelog, imageFiles: none }).join('\n'),
    /newest release is \[0\.2\.0\]/,
  )
})

test('a heading that is neither [Unreleased] nor a version, or [Unreleased] below a release, fails', () => {
  assert.equal(
    versionProblems({ packageVersion: '1.0.0', changelog: '## [next]\n', imageFiles: none }).length,
    2,
  )
  const late = '## [1.0.0] - 2026-01-01\n\n## [Unreleased]\n'
  assert.match(
    versionProblems({ packageVersion: '1.0.0', changelog: late, imageFiles: none }).join('\n'),
    /must be the first/,
  )
  assert.match(
    versionProblems({ packageVersion: '1.0.0', changelog: 'no headings', imageFiles: none }).join(),
    /no "## \[/,
  )
})

test('a literal image tag must be the package version', () => {
  const imageFiles = new Map([['compose.yaml', 'image: summa:0.1.0\n  other: summa:0.0.9\n']])
  assert.deepEqual(versionProblems({ packageVersion: '0.1.0', changelog: '## [Unreleased]\n', imageFiles }), [
    'compose.yaml names image summa:0.0.9, package.json says 0.1.0',
  ])
})
