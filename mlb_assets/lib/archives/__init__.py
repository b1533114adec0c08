"""Readers for the public MLB archives (Pinnacle, season workbooks, Retrosheet)."""
