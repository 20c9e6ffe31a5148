"""Failed sign-in attempts, to lock an account or an address after repeated failures

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:14:19.796585

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failed_login',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),  # UTCDateTime: naive UTC
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_login'))
    )
    # The checks count an e-mail's, or an address's, failures of the last minutes.
    op.create_index('ix_failed_login_email_at', 'failed_login', ['email', 'at'], unique=False)
    op.create_index('ix_failed_login_ip_at', 'failed_login', ['ip', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_failed_login_ip_at', table_name='failed_login')
    op.drop_index('ix_failed_login_email_at', table_name='failed_login')
    op.drop_table('failed_login')
