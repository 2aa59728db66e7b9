"""Everything that talks to a chain: the wire format (`tx`), clients, errors and retries.

Kept free of imports so that `botruntime.chain.tx` loads alone (simnet uses it).
"""
