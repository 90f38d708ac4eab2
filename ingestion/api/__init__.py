"""HTTP API ingestion: paginated sources described in yml -> validated records -> Bronze."""
