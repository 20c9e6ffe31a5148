"""mail_request: the requests that mail an address anyone may type (password reset, sign-in link,
a visitor's registration), counted per recipient and per client address to throttle them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_request'))
    )
    with op.batch_alter_table('mail_request', schema=None) as batch_op:
        batch_op.create_index('ix_mail_request_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_mail_request_recipient_at', ['recipient', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_request', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_request_recipient_at')
        batch_op.drop_index('ix_mail_request_ip_at')
    op.drop_table('mail_request')
