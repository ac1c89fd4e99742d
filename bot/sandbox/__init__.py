"""A fake Telegram for tests, the sandbox and benchmarks: nothing here reaches Telegram."""
