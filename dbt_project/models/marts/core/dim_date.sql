with

spine as (

    {{ date_spine_rows(var('date_spine_start'), var('date_spine_end')) }}

),

calendar as (

    select
        date_day,
        year(date_day) as calendar_year,
        quarter(date_day) as calendar_quarter,
        month(date_day) as calendar_month,
        day(date_day) as day_of_month,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        {{ month_name('date_day') }} as month_name,
        {{ day_name('date_day') }} as day_name
    from spine

),

fiscal as (

    select
        *,
        calendar_year
        + case when calendar_month >= {{ var('fiscal_year_start_month') }} then 1 else 0 end
            as fiscal_year,
        mod(calendar_month - {{ var('fiscal_year_start_month') }} + 12, 12) + 1 as fiscal_month
    from calendar

),

dated as (

    select
        {{ date_key('date_day') }} as date_key,
        date_day,
        calendar_year,
        calendar_quarter,
        calendar_month,
        month_name,
        day_of_month,
        iso_day_of_week,
        day_name,
        iso_day_of_week >= 6 as is_weekend,
        fiscal_year,
        fiscal_month,
        cast((fiscal_month - 1) / 3 as int) + 1 as fiscal_quarter
    from fiscal

),

unknown_member as (

    {{ unknown_member([
        ('date_key', '-1'),
        ('date_day', 'cast(null as date)'),
        ('calendar_year', 'cast(null as int)'),
        ('calendar_quarter', 'cast(null as int)'),
        ('calendar_month', 'cast(null as int)'),
        ('month_name', "'Unknown'"),
        ('day_of_month', 'cast(null as int)'),
        ('iso_day_of_week', 'cast(null as int)'),
        ('day_name', "'Unknown'"),
        ('is_weekend', 'cast(null as boolean)'),
        ('fiscal_year', 'cast(null as int)'),
        ('fiscal_month', 'cast(null as int)'),
        ('fiscal_quarter', 'cast(null as int)'),
    ]) }}

),

final as (

    select * from dated
    union all
    select * from unknown_member

)

select * from final
