"""Where a day's games and odds come from: one interface, an adapter per source.

The ingestion and markets assets ask the configured :class:`~.base.MarketSource` for a
range of game dates and hand the normalized frames on to the warehouse; they never know
which source answered. :class:`~.archive.ArchiveSource` reads the public archives,
:class:`~.odds_api.OddsApiSource` polls The Odds API and the MLB Stats API (or a replay
server standing in for them).
"""
