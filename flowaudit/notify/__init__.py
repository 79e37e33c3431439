"""The digest after every run: what happened last night, by e-mail (SMTP) and to an incoming
webhook (Slack, Teams), and on stdout with `flowaudit digest`. A failed send is logged,
retried once and recorded; it never fails or undoes the run."""
