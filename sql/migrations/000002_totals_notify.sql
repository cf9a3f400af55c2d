-- Tell every aggregator when the totals change, whoever changed them (another
-- aggregator's batch, a rebase, `summa reset`): each one serves GET /total from
-- memory and re-reads the totals when this arrives. NOTIFY is delivered at
-- commit and coalesced per transaction, so a batch costs one notification.
-- The function takes the channel as the trigger's argument, for any later table.
create function summa_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify(tg_argv[0], '');
  return null;
end
$$;
create trigger partition_totals_notify after insert or update or delete on partition_totals
  for each statement execute function summa_notify('summa_totals');
create trigger partition_totals_truncate_notify after truncate on partition_totals
  for each statement execute function summa_notify('summa_totals');
