"""certificate.credential: the Open Badges 3.0 credential of each certificate, unsigned, built
when the certificate is issued (what it prints, the hours attended, the holder's salted e-mail
hash), so that it never changes afterwards; it is signed whenever it is downloaded. Certificates
issued before this revision have none until `flask credentials backfill` builds theirs.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('credential')
