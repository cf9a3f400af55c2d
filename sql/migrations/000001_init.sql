-- summa's first schema. Migrations are append-only: never edit a released file,
-- add the next number instead.
--
-- Identities: request_id is the client's idempotency key; event_id is minted
-- once per accepted request (a fresh UUID), so a request id reused after its
-- retention is a new event and can never be mistaken for a re-sent old one.

-- One row per accepted Add. request_id is the client's idempotency key: its
-- primary key is what makes a retried Add write nothing the second time.
create table add_requests (
  request_id  uuid        primary key,
  num1        bigint      not null,
  num2        bigint      not null,
  sum         bigint      not null,
  accepted_at timestamptz not null
);
-- Retention deletes by age.
create index add_requests_accepted_at on add_requests (accepted_at);

-- The transactional outbox: written in the same transaction as add_requests, so
-- an event exists if and only if its request was accepted. The relay claims
-- pending rows with FOR UPDATE SKIP LOCKED on published_at, never by an id
-- cursor, so a transaction that commits late with a low id is not skipped.
create table outbox (
  id           bigint      generated always as identity primary key,
  event_id     uuid        not null,
  message_key  text        not null,
  payload      text        not null,
  traceparent  text,
  created_at   timestamptz not null default clock_timestamp(),
  published_at timestamptz
);
create index outbox_pending on outbox (id) where published_at is null;
create index outbox_published_at on outbox (published_at) where published_at is not null;
-- Joins outbox rows to applied events: retention keeps an applied event's id while
-- its row exists, and the aggregator asks whether published events were applied.
create index outbox_event on outbox (event_id);

-- Wake the relay as soon as events commit; NOTIFY is delivered at commit and
-- coalesced per transaction, so a batch insert costs one notification.
create function summa_outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('summa_outbox', '');
  return null;
end
$$;
create trigger outbox_notify after insert on outbox
  for each statement execute function summa_outbox_notify();

-- The aggregator's ledger of applied events: its primary key turns a re-sent
-- event (relay crash between publish and mark) into a no-op.
create table applied_events (
  seq         bigint      generated always as identity,
  event_id    uuid        primary key,
  request_id  uuid        not null,
  topic       text        not null,
  partition   integer     not null,
  "offset"    bigint      not null,
  sum         bigint      not null,
  accepted_at timestamptz not null,
  applied_at  timestamptz not null default clock_timestamp()
);
create index applied_events_seq on applied_events (seq);
create index applied_events_request_id on applied_events (request_id);
create index applied_events_applied_at on applied_events (applied_at);

-- One row per topic partition: its share of the running total and the next
-- offset to apply, updated in the same transaction as applied_events. The total
-- is the sum of subtotals, so aggregators can split partitions between them.
-- topic_id is Kafka's id of the topic these offsets belong to: a topic deleted
-- and re-created under the same name restarts its offsets at 0, and stored
-- offsets must then not be trusted.
create table partition_totals (
  topic          text        not null,
  partition      integer     not null,
  topic_id       text,
  subtotal       numeric     not null default 0,
  next_offset    bigint      not null default 0,
  applied_count  bigint      not null default 0,
  duplicate_count bigint     not null default 0,
  poison_count   bigint      not null default 0,
  updated_at     timestamptz not null default clock_timestamp(),
  primary key (topic, partition)
);
