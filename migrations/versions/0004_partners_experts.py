"""Experts get an e-mail address, where the invitation to open their account is sent.

Nullable: existing experts have none until a coordinator types it; unique, since it becomes
the login of the account the invitation creates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:05:23.589272

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_expert_email'), ['email'])


def downgrade():
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_expert_email'), type_='unique')
        batch_op.drop_column('email')
