"""An index on trainee.institution_id: the partners list counts each partner's trainees and a
partner's page lists them, which read every trainee without it (27,000 after ten years).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 18:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainee_institution_id'), ['institution_id'], unique=False)


def downgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainee_institution_id'))
