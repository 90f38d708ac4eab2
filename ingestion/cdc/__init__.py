"""Log-based change data capture from Postgres (pgoutput logical decoding)."""
