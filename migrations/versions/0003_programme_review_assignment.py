"""Programme in three languages; who assigned a review and when it was last reminded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_review_assigned_by_id_user'), 'user', ['assigned_by_id'], ['id'])

    # Existing sessions get an empty programme; the default is the model's, not the database's.
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        for language in ('fr', 'ar', 'en'):
            batch_op.add_column(sa.Column(f'programme_{language}', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        for language in ('fr', 'ar', 'en'):
            batch_op.alter_column(f'programme_{language}', server_default=None)


def downgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        for language in ('en', 'ar', 'fr'):
            batch_op.drop_column(f'programme_{language}')

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_assigned_by_id_user'), type_='foreignkey')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('assigned_by_id')
