/**
 * Repository paths under src/ and sql/ that `text` (Markdown) names, in order,
 * each once. A path ends at the first character that cannot be part of one, and
 * never with a '.' or '/' (the end of a sentence, a folder's trailing slash); a
 * glob stops before its '*'. A link from docs/ up to the root (`../src/…`)
 * counts as the path it reaches; paths inside longer ones (dist/src/…, URLs) are
 * not taken. A pattern is not a path: write `NNNNNN_name.sql in sql/migrations/`,
 * not the two joined.
 */
export function docPaths(text: string): string[] {
  const found = new Set<string>()
  for (const match of text.matchAll(/(?<![\w./-])(?:\.\.\/)?((?:src|sql)\/[\w./-]*[\w-])/g))
    found.add(match[1]!)
  return [...found]
}

/** The paths `text` names that do not exist, as told by `exists`. */
export function missingDocPaths(text: string, exists: (repoPath: string) => boolean): string[] {
  return docPaths(text).filter((repoPath) => !exists(repoPath))
}
