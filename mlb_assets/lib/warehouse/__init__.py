"""The warehouse: schema, engines, migrations and bulk loads (SQLite or Postgres)."""
