"""assistance_request.status takes 'withdrawn': the partner withdraws its request before a decision.

Revision ID: 0025_assistance_withdrawn
Revises: 0024_letter_language
Create Date: 2026-12-07 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_assistance_withdrawn'
down_revision = '0024_letter_language'
branch_labels = None
depends_on = None


STATUSES_BEFORE = ('submitted', 'under_study', 'accepted', 'declined', 'planned', 'delivered', 'closed')
STATUSES_AFTER = (*STATUSES_BEFORE, 'withdrawn')


def _allow_statuses(statuses):
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assistance_request_assistance_status'), type_='check')
        batch_op.create_check_constraint('assistance_status', sa.column('status').in_(statuses))


def upgrade():
    _allow_statuses(STATUSES_AFTER)


def downgrade():
    op.execute("UPDATE assistance_request SET status = 'closed' WHERE status = 'withdrawn'")
    _allow_statuses(STATUSES_BEFORE)
