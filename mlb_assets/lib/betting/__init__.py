"""Staking and settlement: fractional Kelly, tiers, American-odds settlement, CLV."""
