"""Scaffolding the tests share: the in-process harness, the live bot over HTTP, the one
onboarding driver, rooms, check-ins, workshops, crisis care and the privacy scans.

Test modules import from here and never from one another (tests/test_scaffolding.py)."""
