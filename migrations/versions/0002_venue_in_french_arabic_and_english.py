"""Venue in French, Arabic and English: Arabic documents print the venue in Arabic.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:52:11.953668

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # The existing venue becomes the French one; the two new ones start empty.
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.alter_column('venue', new_column_name='venue_fr', existing_type=sa.String(length=200),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('venue_ar', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('venue_en', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.alter_column('venue_ar', server_default=None)
        batch_op.alter_column('venue_en', server_default=None)


def downgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_column('venue_en')
        batch_op.drop_column('venue_ar')
        batch_op.alter_column('venue_fr', new_column_name='venue', existing_type=sa.String(length=200),
                              existing_nullable=False)
