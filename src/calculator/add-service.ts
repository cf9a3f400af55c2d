import { ErrorCodes, SummaError } from '../shared/errors.ts'
import { type AddInput, parseAddInput, type RawAddRequest } from './add-input.ts'
import type { AcceptRow, StoredRequest } from './db/accept-requests.ts'
import type { GroupCommit } from './group-commit.ts'
import { RecentRequests } from './recent-requests.ts'

export interface AddResult {
  requestId: string
  sum: bigint
  replayed: boolean
  acceptedAt: Date
}

export interface AddServiceOptions {
  groupCommit: GroupCommit<AcceptRow, StoredRequest>
  cacheSize: number
  cacheTtlMs: number
  now?: () => Date
}

/**
 * The calculator's one use case: answer num1 + num2 at once and record the
 * accepted request and its event durably, exactly once per request id.
 *
 * Idempotency, from cheapest to authoritative:
 * 1. a recent identical request is answered from memory (committed rows only);
 * 2. a duplicate of a request still in flight in this process waits for that
 *    request's outcome instead of racing it;
 * 3. PostgreSQL's primary key on request_id decides everything else, including
 *    duplicates sent to different calculator replicas.
 */
export class AddService {
  readonly #groupCommit: GroupCommit<AcceptRow, StoredRequest>
  readonly #recent: RecentRequests<StoredRequest>
  readonly #inFlight = new Map<string, Promise<StoredRequest>>()
  readonly #now: () => Date

  constructor(options: AddServiceOptions) {
    this.#groupCommit = options.groupCommit
    this.#recent = new RecentRequests(options.cacheSize, options.cacheTtlMs)
    this.#now = options.now ?? (() => new Date())
  }

  async add(raw: RawAddRequest, traceparent: string | null = null): Promise<AddResult> {
    const input = parseAddInput(raw)
    const cached = this.#recent.get(input.requestId)
    if (cached !== undefined) return answer(input, cached, true)

    const running = this.#inFlight.get(input.requestId)
    if (running !== undefined) return answer(input, await running, true)

    const pending = this.#groupCommit.submit({ ...input, acceptedAt: this.#now(), traceparent })
    this.#inFlight.set(input.requestId, pending)
    try {
      const stored = await pending
      this.#recent.set(input.requestId, stored)
      return answer(input, stored, !stored.inserted)
    } finally {
      this.#inFlight.delete(input.requestId)
    }
  }
}

function answer(input: AddInput, stored: StoredRequest, replayed: boolean): AddResult {
  if (stored.num1 !== input.num1 || stored.num2 !== input.num2) {
    throw new SummaError(
      ErrorCodes.ALREADY_EXISTS,
      `request_id ${input.requestId} was already used with other arguments; choose a new id for a new request`,
      { field: 'request_id' },
    )
  }
  return { requestId: stored.requestId, sum: stored.sum, replayed, acceptedAt: stored.acceptedAt }
}
