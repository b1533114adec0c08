"""Tests of The Odds API client."""
