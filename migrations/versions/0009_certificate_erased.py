"""certificate.erased_at: a certificate whose holder's personal data was erased (anonymisation at
the retention limit) has its own state, "erased", instead of staying "valid" with empty bytes.
Certificates anonymised before this revision (stored, but with no bytes left) get the date of
their holder's anonymisation.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE certificate SET erased_at = (SELECT trainee.anonymised_at FROM registration "
        "JOIN trainee ON trainee.id = registration.trainee_id WHERE registration.id = certificate.registration_id) "
        "WHERE sha256 <> '' AND registration_id IN (SELECT registration.id FROM registration "
        "JOIN trainee ON trainee.id = registration.trainee_id WHERE trainee.anonymised_at IS NOT NULL)"
    )


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
