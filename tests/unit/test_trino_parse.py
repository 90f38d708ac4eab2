from flows.sql_checks import parse_trino_sql


def test_portable_sql_parses_as_trino():
    assert parse_trino_sql("select lower(trim(email)) as email from delta.silver.t") is None


def test_spark_only_sql_is_rejected():
    assert parse_trino_sql("select `email` from t") is not None
    assert parse_trino_sql("select a from t qualify row_number() over (order by a) = 1")
    assert parse_trino_sql("select 1 from") is not None
