"""The embedded stack: Postgres, Hive Metastore, Sail and Prefect as local processes."""
