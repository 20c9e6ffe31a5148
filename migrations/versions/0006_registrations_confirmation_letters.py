"""Trainees' e-mail confirmation and anonymisation dates; stored visa invitation letters.

Trainees already in the database registered before addresses were confirmed: they count
as confirmed since they were created, so their registrations stay decidable.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:38:06.085592

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['generated_by_id'], ['user.id'], name=op.f('fk_invitation_letter_generated_by_id_user')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_invitation_letter_registration_id_registration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_letter')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_invitation_letter_registration_id'))
    )
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE trainee SET email_confirmed_at = created_at")


def downgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('email_confirmed_at')

    op.drop_table('invitation_letter')
