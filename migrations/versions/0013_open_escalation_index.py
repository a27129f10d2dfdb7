"""the scheduler's index of tasks holds open tasks only

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25

Escalation looks for open tasks whose next escalation is due (``done_at IS NULL AND
escalate_at <= now``); done tasks are never escalated.  The index it reads held every task ever
done, led by the time it was done; it now holds the open tasks, by their escalation time.  A
task done leaves it, and a task opened enters it, on the same few pages, instead of an entry
moving from the open tasks to the far end of the index at every movement.
"""

from alembic import op
from sqlalchemy import text


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OPEN = text("done_at IS NULL")


# Plain DROP and CREATE INDEX, never a batch (table-copying) operation: on SQLite a copied
# table would lose the triggers of migration 0007.
def upgrade():
    op.drop_index("ix_tasks_open_escalate", table_name="tasks")
    op.create_index("ix_tasks_open_escalate", "tasks", ["escalate_at"],
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index("ix_tasks_open_escalate", table_name="tasks")
    op.create_index("ix_tasks_open_escalate", "tasks", ["done_at", "escalate_at"])
