"""An index on certificate.sha256: the verification page's PDF check finds a dropped file's
certificate by the hash of its bytes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_sha256', ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_sha256')
