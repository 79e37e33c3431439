"""sqlshell stage."""
