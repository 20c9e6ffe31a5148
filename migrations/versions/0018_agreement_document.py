"""agreement.document_id: the signed agreement, uploaded and kept as a stored_file (centre/files.py).

Revision ID: 0018_agreement_document
Revises: 0017_focal_points
Create Date: 2026-12-06 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_agreement_document'
down_revision = '0017_focal_points'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agreement_document_id_stored_file'), 'stored_file', ['document_id'], ['id'])


def downgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_document_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('document_id')
