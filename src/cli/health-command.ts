import type { Output } from '../shared/command-output.ts'

/**
 * `summa health URL`: exits 0 when URL answers 2xx within the timeout, 1
 * otherwise. The container image has no shell and no curl, so a Compose or
 * Docker healthcheck runs this instead; it loads no service code and opens no
 * database or broker connection, so probing every few seconds stays cheap.
 */
export async function healthCommand(url: string, timeoutMs: number, io: Output): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    const body = (await response.text()).trim()
    if (response.ok) return 0
    io.err(`GET ${url} answered ${response.status}: ${body.slice(0, 200)}`)
    return 1
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    io.err(`GET ${url} failed: ${cause ?? (error as Error).message}`)
    return 1
  }
}
