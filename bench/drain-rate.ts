import type { Sql } from 'postgres'
import { waitFor } from './bench-process.ts'

export interface DrainRate {
  /** Events published from the end of the relay's first pass to the last backlog event's publish. */
  published: number
  seconds: number
  ratePerS: number
  /** When the first event of the drain was marked published. */
  firstPublishAt: Date | null
}

/**
 * Waits until every outbox row up to `lastBacklogId` is published, then reads
 * how fast that went from the outbox's own timestamps, not from a poll: a
 * drain of a few tens of thousands of events lasts a second or two, the
 * length of a few polls.
 *
 * A row's published_at is set when its pass marks it, after the broker
 * acknowledged the whole batch. The first pass's events are produced before
 * the first timestamp, so counting them over the time from that timestamp
 * would inflate the rate by a batch: the window opens when the first pass's
 * marking ends (its rows share the transaction id `xmin`), and counts every
 * event published after that, backlog or new, up to the backlog's last.
 */
export async function measureDrain(
  sql: Sql,
  lastBacklogId: string,
  since: Date,
  timeoutMs: number,
): Promise<DrainRate> {
  await waitFor('outbox drained', timeoutMs, async () => {
    const [row] = await sql<{ pending: boolean }[]>`
      select exists(select 1 from outbox where published_at is null and id <= ${lastBacklogId}) as pending`
    return row?.pending === false
  })
  const [row] = await sql<
    { first_at: Date | null; window_start: Date | null; window_end: Date | null; published: string }[]
  >`
    with bounds as (
      select (select max(published_at) from outbox where id <= ${lastBacklogId}) as window_end,
             (select xmin::text from outbox where published_at > ${since}
              order by published_at limit 1) as first_pass
    ),
    first_pass as (
      select min(o.published_at) as first_at, max(o.published_at) as window_start
      from outbox o, bounds b
      where o.published_at > ${since} and o.xmin::text = b.first_pass
    )
    select f.first_at, f.window_start, b.window_end,
           (select count(*) from outbox
            where published_at > f.window_start and published_at <= b.window_end) as published
    from bounds b, first_pass f`
  const firstPublishAt = row?.first_at ?? null
  const seconds =
    row?.window_start == null || row.window_end == null
      ? 0
      : (row.window_end.getTime() - row.window_start.getTime()) / 1000
  // The whole backlog went in the first pass (or in passes that ended with it): too short to time.
  if (seconds <= 0) return { published: 0, seconds: 0, ratePerS: 0, firstPublishAt }
  const published = Number(row!.published)
  return { published, seconds, ratePerS: Math.round(published / seconds), firstPublishAt }
}
