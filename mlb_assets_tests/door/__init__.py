"""Door tests: the program run the way a user runs it.

Each test starts the installed commands (``dagster``, ``mlb-assets``) as fresh processes,
configured only through environment variables, exactly as the README writes them, and then
reads what they left in the warehouse.
"""
