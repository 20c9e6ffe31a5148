"""stored_file: uploaded files (materials, partners' documents, reports), kept through centre/files.py,
their bytes in the row or in a folder named by their SHA-256.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:07:29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage', sa.String(length=20), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("storage <> 'database' OR content IS NOT NULL", name=op.f('ck_stored_file_database_has_content')),
    sa.CheckConstraint("storage IN ('database', 'folder')", name=op.f('ck_stored_file_storage_known')),
    sa.CheckConstraint('size > 0', name=op.f('ck_stored_file_not_empty')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_stored_file_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))

    op.drop_table('stored_file')
