-- The relay reads the outbox in commit order behind a transaction-id watermark
-- and keeps one cursor, instead of rewriting every row it publishes
-- (docs/RELIABILITY.md, "The outbox and the relay").
--
-- Each row records the id of the transaction that wrote it. The relay reads
-- rows whose transaction id is below the oldest transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())): those transactions have all ended,
-- so no row can ever appear behind the position read, and a row whose
-- transaction commits late with a low id waits for it rather than being skipped.
-- Rows are read in (transaction_id, id) order, and the position of the last one
-- published is the cursor, moved once per batch in the transaction that holds it.
alter table outbox add column transaction_id xid8;

-- Carried forward: rows still waiting get xid8 1, below every transaction id
-- PostgreSQL hands out (the first normal one is 3), so they are read first, in
-- id order. Rows already published keep NULL and are never read again: NULL
-- compares as unknown, and the relay's condition excludes them.
update outbox set transaction_id = '1' where published_at is null;
alter table outbox alter column transaction_id set default pg_current_xact_id();
create index outbox_position on outbox (transaction_id, id);

-- Nothing marks rows published any more; what is published is what lies at or
-- below the cursor (or has published_at, from before this migration).
drop index outbox_pending;
drop index outbox_published_at;

-- One row: the position of the last event the relay published. The relay locks
-- it for the whole of a pass (claim, produce, move), so relays take turns: two
-- can never publish the same range at once, and one that dies mid-pass leaves
-- the cursor where its last committed pass put it.
create table relay_cursor (
  name           text        primary key,
  transaction_id xid8        not null,
  outbox_id      bigint      not null,
  updated_at     timestamptz not null default clock_timestamp()
);
-- Below every row: the carried-forward ones (xid8 1) come first.
insert into relay_cursor (name, transaction_id, outbox_id) values ('outbox', '0', 0);
