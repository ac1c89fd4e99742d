"""Watching the running bot: Prometheus metrics (counts only), health and readiness."""
