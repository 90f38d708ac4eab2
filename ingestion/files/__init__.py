"""File ingestion: landing folders and contracts -> detect, parse, validate -> Bronze."""
