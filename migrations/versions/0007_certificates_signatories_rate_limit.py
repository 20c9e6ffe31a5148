"""Certificates: signatories (name, title, signature image kept in the database) and the
verification page's rate limit (one row a request, shared by every app server).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:38:16.395698

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signatory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_ar', sa.String(length=120), nullable=False),
    sa.Column('title_fr', sa.String(length=120), nullable=False),
    sa.Column('title_ar', sa.String(length=120), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('signature_type', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatory'))
    )
    op.create_table('verification_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_hit'))
    )
    with op.batch_alter_table('verification_hit', schema=None) as batch_op:
        batch_op.create_index('ix_verification_hit_client_at', ['client', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('verification_hit', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_hit_client_at')
    op.drop_table('verification_hit')
    op.drop_table('signatory')
