"""Tests of the replay server and its odds board."""
