"""Deadlines: working days and holidays, the limits of each step, due times, and the
escalation of files lying past them, run by the scheduler's jobs."""
