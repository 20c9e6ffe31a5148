"""Focal points (an account with the role focal_point, tied to one partner institution) and the
partner's contacts (person, role, e-mail, phone, postal address).

Revision ID: 0017_focal_points
Revises: 0016
Create Date: 2026-12-06 23:07:26.260072

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_focal_points'
down_revision = '0016'
branch_labels = None
depends_on = None


ROLES_BEFORE = ("admin", "coordinator", "expert", "trainee")
ROLES_AFTER = (*ROLES_BEFORE, "focal_point")


def _allow_roles(roles):
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role'), type_='check')
        batch_op.create_check_constraint('role', sa.column('role').in_(roles))


def upgrade():
    _allow_roles(ROLES_AFTER)
    op.create_table('focal_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_focal_point_institution_id_institution'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_focal_point_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_focal_point')),
    sa.UniqueConstraint('user_id', name=op.f('uq_focal_point_user_id'))
    )
    with op.batch_alter_table('focal_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_focal_point_institution_id'), ['institution_id'], unique=False)

    op.create_table('institution_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('postal_address', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_institution_contact_institution_id_institution'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_contact'))
    )
    with op.batch_alter_table('institution_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_contact_institution_id'), ['institution_id'], unique=False)



def downgrade():
    with op.batch_alter_table('institution_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_contact_institution_id'))

    op.drop_table('institution_contact')
    with op.batch_alter_table('focal_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_focal_point_institution_id'))

    op.drop_table('focal_point')
    op.execute("UPDATE \"user\" SET is_active = false WHERE role = 'focal_point'")
    op.execute("UPDATE \"user\" SET role = 'trainee' WHERE role = 'focal_point'")
    _allow_roles(ROLES_BEFORE)
