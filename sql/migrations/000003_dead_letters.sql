-- Dead letters the dead-letter topic would not take (the record too large even
-- as a reference, the topic deleted or refusing writes). Written in the same
-- transaction that moves the partition's next offset past the record, so a
-- poison record is either here, on the dead-letter topic, or not yet passed:
-- never lost, and never able to stop its partition.
create table dead_letters (
  id          bigint      generated always as identity primary key,
  topic       text        not null,
  partition   integer     not null,
  "offset"    bigint      not null,
  reason      text        not null,
  -- Why the dead-letter topic refused it (the broker's error code).
  refused_by  text        not null,
  key         bytea,
  value       bytea       not null,
  -- The original headers in order: [{"key": "...", "value": "<base64>"}].
  headers     jsonb       not null default '[]',
  size        integer     not null,
  sha256      text        not null,
  stored_at   timestamptz not null default clock_timestamp(),
  -- A partition re-read after a rebalance or restart stores nothing twice.
  unique (topic, partition, "offset")
);
