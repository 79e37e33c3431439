"""Pure functions over integrator.io documents, one home each: canonical JSON and content
hashes (`canonical`), which fields are volatile (`volatility`), audit field paths
(`paths`) and the steps a flow uses (`steps`). No I/O; every stage imports them."""
