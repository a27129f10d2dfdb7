"""Mail: the outbox written in the transaction that decides to send, its senders, and the
words of escalation notices in Hindi and English."""
