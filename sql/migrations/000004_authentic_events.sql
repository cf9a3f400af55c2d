-- Authentic events (docs/SECURITY.md, "Authentic events").
--
-- The calculator signs each event as it writes it to the outbox; the relay
-- sends the signature as the record's summa-signature header. Rows written
-- before this migration have none: their events are dead-lettered as unsigned
-- unless the outbox was drained before upgrading.
alter table outbox add column signature text;

-- A request must never be applied under two event ids. Every event of one
-- acceptance carries the same (request_id, accepted_at); a request id reused
-- after its retention is a new acceptance with a later accepted_at, and stays a
-- new event. This index replaces the plain request_id index (same leading column).
do $$
declare
  twice text;
begin
  select string_agg(request_id::text, ', ') into twice from (
    select request_id from applied_events group by request_id, accepted_at having count(*) > 1 limit 10
  ) as duplicated;
  if twice is not null then
    raise exception 'applied_events holds requests applied under two event ids (%): the total counts them twice; '
      'run `summa verify`, correct the total, delete the extra rows, then migrate again', twice;
  end if;
end
$$;
drop index applied_events_request_id;
create unique index applied_events_request_acceptance on applied_events (request_id, accepted_at);
