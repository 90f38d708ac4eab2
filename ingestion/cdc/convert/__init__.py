"""THE CDC conversion: change messages, truncates or snapshot rows -> Bronze Arrow tables.

- `values`: the type mapping (Postgres text -> Bronze types and JSON values);
- `rows`: pgoutput row messages -> column texts, all rows at once;
- `envelope`: the Debezium envelope and row images as JSON text;
- `tables`: the Bronze tables (typed columns, metadata, envelope), high-water marks.
"""
