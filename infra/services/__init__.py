"""The embedded stack: Postgres, Hive Metastore, Sail, Prefect and the deployments server as
local processes, listed in `catalog`, run by `supervisor`, driven by `manager`."""
