import path from 'node:path'

/**
 * Folders under src/ that run as a process (the three services) or as a command
 * of their own (cli, dlq, load, verify). None imports another: what two of them
 * share lives in src/shared/, so a change inside one folder cannot break another.
 */
export const components: readonly string[] = [
  'calculator',
  'relay',
  'aggregator',
  'cli',
  'dlq',
  'load',
  'verify',
]
/** The shared plumbing every folder may import; it imports only itself. */
export const sharedFolder = 'shared'
/**
 * The entry point: it turns a command line into a call to the service or
 * command that runs it, so it is the one folder that imports the others.
 */
export const entryFolder = 'bin'

// Static imports and re-exports (`import … from`, `export … from`, `import '…'`) and `import('…')`.
const specifierPatterns = [
  /^\s*(?:import|export)\s+(?:type\s+)?[\w*\s{},$]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
]

/** The relative module specifiers `source` imports (packages and node: modules left out). */
export function relativeImports(source: string): string[] {
  const found: string[] = []
  for (const pattern of specifierPatterns) {
    for (const match of source.matchAll(pattern)) if (match[1]!.startsWith('.')) found.push(match[1]!)
  }
  return found
}

/** The folder directly under src/ that `file` (a path relative to src/, with `/`) is in. */
function folderOf(file: string): string {
  return file.split('/')[0]!
}

/**
 * Every import in `files` (path relative to src/, with `/` → source text) that
 * crosses a boundary: a component importing another component, src/shared/
 * importing a component, or a file in a folder this check does not know.
 */
export function importViolations(files: ReadonlyMap<string, string>): string[] {
  const known = new Set([...components, sharedFolder, entryFolder])
  const problems: string[] = []
  for (const [file, source] of files) {
    const from = folderOf(file)
    if (!known.has(from)) {
      problems.push(
        `src/${file}: src/${from}/ is not a known folder; add it to components in scripts/layout/import-boundaries.ts, or put the file in src/${sharedFolder}/`,
      )
      continue
    }
    if (from === entryFolder) continue
    for (const specifier of relativeImports(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
      if (target.startsWith('../')) continue // outside src/: not a folder boundary
      const to = folderOf(target)
      if (to === from || to === sharedFolder) continue
      problems.push(
        from === sharedFolder
          ? `src/${file} imports src/${target}: src/${sharedFolder}/ imports only src/${sharedFolder}/`
          : `src/${file} imports src/${target}: src/${from}/ may import only src/${from}/ and src/${sharedFolder}/ (move what both use to src/${sharedFolder}/)`,
      )
    }
  }
  return problems
}
