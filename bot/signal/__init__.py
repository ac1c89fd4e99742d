"""Signal through signal-cli's JSON-RPC daemon (`signal-cli daemon --tcp`).

`rpc` is the client (one request in flight, reconnects, notifications); `envelopes`
reads what the daemon receives into typed events keyed on the sender's ACI (a phone
number is never kept); `results` reads what a send returned and maps errors to the
core's delivery errors. The port adapter builds on these.
"""
