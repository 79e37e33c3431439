"""What an auditor relies on besides the history itself: the hash chain that makes stored
records and versions tamper-evident (chain, verify), the change-process rules in force
(rules), change requests from a ticket system (approvals) and the drift register
(drift_register). Each module writes its own store tables; the public views over them are
`hash_chain`, `rules`, `rule_violations`, `change_approvals` and `drift_register`."""
