import type { Knex } from 'knex';

// SEC-12: the audit log is append-only in the database itself, whatever the code above it does.
// UPDATE and TRUNCATE always fail. DELETE fails too, except on the retention sweep's path: a
// transaction that set `canopy.audit_sweep_before` (set_config(..., true), so it ends with the
// transaction) may delete rows recorded before that cut-off, and only when the cut-off is at least
// a day old, so that not even the sweep's path erases recent history.
//
// Age is `recorded_at`, the database's clock at insert (a trigger overwrites whatever is sent),
// never `occurred_at`, which the application writes from its own clock: an entry written with a
// wrong time is still kept until its retention has run from the moment it was recorded.
//
// Every trigger is ENABLE ALWAYS: it fires under `session_replication_role = replica` too, which
// a superuser (the application itself on the embedded database) could otherwise set to skip them.
// Whoever owns the table can still drop or disable the triggers: this guards against the
// application's own statements, not against the database's owner (SECURITY.md).
export async function up(knex: Knex): Promise<void> {
  // The entries written so far were recorded when they occurred, as far as anyone can tell now;
  // filled in before the triggers exist, which would refuse the update.
  await knex.raw('alter table audit_log add column recorded_at timestamptz');
  await knex.raw('update audit_log set recorded_at = occurred_at');
  await knex.raw('alter table audit_log alter column recorded_at set default now()');
  await knex.raw('alter table audit_log alter column recorded_at set not null');
  await knex.raw(`
    create function audit_log_recorded_now() returns trigger language plpgsql as $$
    begin
      new.recorded_at := now();
      return new;
    end $$`);
  await knex.raw(`create trigger audit_log_recorded_at before insert on audit_log
    for each row execute function audit_log_recorded_now()`);
  await knex.raw(`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    declare
      setting text := current_setting('canopy.audit_sweep_before', true);
      cutoff timestamptz;
    begin
      -- Unset, the setting reads as null; once set in an earlier transaction of the session, as ''.
      if tg_op <> 'DELETE' or coalesce(setting, '') = '' then
        raise exception 'the audit log is append-only: % on audit_log is refused', tg_op
          using errcode = 'insufficient_privilege';
      end if;
      cutoff := setting::timestamptz;
      if cutoff > now() - interval '1 day' then
        raise exception 'the audit log is append-only: the retention sweep''s cut-off (%) must be at least a day in the past', cutoff
          using errcode = 'insufficient_privilege';
      end if;
      if old.recorded_at >= cutoff then
        raise exception 'the audit log is append-only: the retention sweep deletes only entries recorded before its cut-off (%)', cutoff
          using errcode = 'insufficient_privilege';
      end if;
      return old;
    end $$`);
  await knex.raw(`create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function audit_log_append_only()`);
  // TRUNCATE fires no row triggers: it needs a statement trigger of its own.
  await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`);
  await knex.raw(`alter table audit_log
    enable always trigger audit_log_recorded_at,
    enable always trigger audit_log_no_update_delete,
    enable always trigger audit_log_no_truncate`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger audit_log_no_truncate on audit_log');
  await knex.raw('drop trigger audit_log_no_update_delete on audit_log');
  await knex.raw('drop function audit_log_append_only()');
  await knex.raw('drop trigger audit_log_recorded_at on audit_log');
  await knex.raw('drop function audit_log_recorded_now()');
  await knex.raw('alter table audit_log drop column recorded_at');
}
