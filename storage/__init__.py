"""The only package with SQL and keys: encrypted SQLite, field crypto, repositories."""
