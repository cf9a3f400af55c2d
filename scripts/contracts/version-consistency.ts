/**
 * The version people see must be one number: package.json's `version`, the
 * CHANGELOG's newest released heading and every literal `summa:<version>` image
 * tag. The CHANGELOG (Keep a Changelog) has `## [Unreleased]` on top while
 * changes accumulate; releasing renames it to `## [X.Y.Z] - date` and sets
 * package.json to X.Y.Z in the same commit.
 */
export type VersionSources = {
  packageVersion: string
  changelog: string
  /** Files that may name the image, by path. */
  imageFiles: ReadonlyMap<string, string>
}

const heading = /^## \[([^\]]+)\]/gm
const semver = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/
const imageTag = /\bsumma:(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b/g

/** Every inconsistency found, as sentences; empty when all agree. */
export function versionProblems(sources: VersionSources): string[] {
  const problems: string[] = []
  const version = sources.packageVersion
  if (!semver.test(version)) problems.push(`package.json version ${JSON.stringify(version)} is not X.Y.Z`)
  const headings = [...sources.changelog.matchAll(heading)].map((match) => match[1]!)
  if (headings.length === 0) problems.push('CHANGELOG.md has no "## [Unreleased]" or "## [X.Y.Z]" heading')
  const first = headings[0]
  if (first !== undefined && first !== 'Unreleased' && first !== version) {
    problems.push(`CHANGELOG.md's first heading is [${first}]: it must be [Unreleased] or [${version}]`)
  }
  for (const name of headings) {
    if (name !== 'Unreleased' && !semver.test(name)) {
      problems.push(`CHANGELOG.md heading [${name}] is not [Unreleased] or [X.Y.Z]`)
    }
  }
  const released = headings.filter((name) => semver.test(name))
  if (released[0] !== undefined && released[0] !== version) {
    problems.push(`CHANGELOG.md's newest release is [${released[0]}] but package.json says ${version}`)
  }
  if (headings.indexOf('Unreleased') > 0)
    problems.push('CHANGELOG.md: [Unreleased] must be the first heading')
  for (const [file, text] of sources.imageFiles) {
    for (const match of text.matchAll(imageTag)) {
      if (match[1] !== version)
        problems.push(`${file} names image summa:${match[1]}, package.json says ${version}`)
    }
  }
  return problems
}
