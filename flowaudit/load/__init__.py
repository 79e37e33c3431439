"""Load stage: the DuckDB file, its migrations, and loading a staging area into it."""
