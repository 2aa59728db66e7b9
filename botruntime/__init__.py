"""testbots' bot runtime: identities, wallets, chain clients, bots, load, metrics, cluster, CLI.

Kept empty on purpose: simnet imports `botruntime.identity` and `botruntime.chain.tx` for the
shared wire format, and importing them must not pull in the rest of the runtime.
"""
