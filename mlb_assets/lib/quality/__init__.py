"""Data-quality suites for the warehouse tables, run with Great Expectations, framework-free."""
