{#-
  Change data capture to current state, used by every `stg_wwi__*` model.

  Bronze holds every change event of a source table, append only: snapshot
  rows (`_op = 'r'`), inserts (`c`), updates (`u`, after-image), deletes
  (`d`, before-image) and truncates (`t`, no key). The state of a key is the
  image carried by its latest event in commit order (`_lsn`, then `_seq`
  within the transaction), or nothing when that event is a delete.
-#}


{#-
  The Bronze events a run must look at. On an incremental run, only events
  committed after the newest one Silver already holds (`_cdc_lsn`): Bronze is
  appended in commit order per table, so nothing older can still arrive.
  Re-reading a few events after a run that ended in deletes is harmless:
  applying the latest event per key is idempotent. With the var
  `backfill_since` (a date), every event committed since then is re-read.
-#}
{% macro cdc_events(source_relation) -%}
    {%- set since = var('backfill_since', none) -%}
    {%- if is_incremental() and since -%}
    {#- a backfill replays every change committed since a date (the `backfill`
        flow): the latest of those per key is the current state of that key -#}
    select *
    from {{ source_relation }}
    where _commit_ts >= cast('{{ since }}' as timestamp)
    {%- elif is_incremental() -%}
    select bronze.*
    from {{ source_relation }} as bronze
    -- a join, not a scalar subquery in the where clause: Sail cannot plan those
    cross join (select coalesce(max(_cdc_lsn), -1) as seen_lsn from {{ this }}) as silver
    where bronze._lsn > silver.seen_lsn
    {%- else -%}
    select * from {{ source_relation }}
    {%- endif %}
{%- endmacro %}


{#-
  Commit-order position of an event: its transaction's commit LSN, then its
  order within the transaction. decimal(38, 0) holds any 64-bit LSN times
  10^10 plus a sequence number, in Spark and in Trino.
-#}
{% macro cdc_position(lsn_column='_lsn', seq_column='_seq') -%}
    cast({{ lsn_column }} as decimal(38, 0)) * 10000000000 + {{ seq_column }}
{%- endmacro %}


{#-
  The latest event per key among `events_cte`, tombstones included; events
  without a key are excluded (the Bronze quality gate's `<table>__keys`
  checks, expectations/suites/bronze.yml, fail on any such event). Events
  before the latest truncate of the table are dropped (a truncate empties the
  table; rows inserted after it in the same transaction come later). On an
  incremental run the truncate event itself is kept (its key is null), so
  the `cdc_merge` strategy can delete every key it emptied.
-#}
{% macro cdc_latest_events(events_cte, key_columns) -%}
    {%- set keys = [key_columns] if key_columns is string else key_columns -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by _lsn desc, _seq desc
            ) as _cdc_event_rank,
            max(case when _op = 't' then {{ cdc_position() }} end) over () as _cdc_truncated_at
        from {{ events_cte }}
    ) as ranked
    where (
        _cdc_event_rank = 1
        and _op <> 't'
        {%- for key in keys %}
        and {{ key }} is not null
        {%- endfor %}
        and (_cdc_truncated_at is null or {{ cdc_position() }} > _cdc_truncated_at)
    )
    {%- if is_incremental() %}
    or (_op = 't' and {{ cdc_position() }} = _cdc_truncated_at)
    {%- endif %}
{%- endmacro %}


{#-
  CDC metadata columns every Silver current-state table carries. On an
  incremental run the change operation is kept too (`_cdc_op`), so that the
  `cdc_merge` strategy deletes tombstoned keys; a full build drops
  tombstones instead, so the stored table never holds deleted rows.
-#}
{% macro cdc_metadata_columns() -%}
        _lsn as _cdc_lsn,
        _seq as _cdc_seq,
        _commit_ts as _cdc_committed_at,
        _ingested_at
        {%- if is_incremental() %},
        _op as _cdc_op
        {%- endif %}
{%- endmacro %}


{% macro cdc_keep_current() -%}
    {%- if not is_incremental() -%}
    where _op <> 'd'
    {%- endif -%}
{%- endmacro %}
