"""Dagster definitions for testbots: scenario jobs, result assets, checks and schedules."""
