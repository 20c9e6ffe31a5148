"""session_material: a session's materials (a stored_file each) and who may see them.

Revision ID: 0021_session_material
Revises: 0020_joining_sign_in
Create Date: 2026-12-06 23:36:26.089747

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_session_material'
down_revision = '0020_joining_sign_in'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('visibility', sa.Enum('trainees', 'trainers', 'staff', name='material_visibility', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_session_material_file_id_stored_file')),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_session_material_session_id_training_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_session_material_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_material'))
    )
    with op.batch_alter_table('session_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_material_session_id'), ['session_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_material_session_id'))

    op.drop_table('session_material')
