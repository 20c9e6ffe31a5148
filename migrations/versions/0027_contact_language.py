"""institution_contact.language: the language mails to a partner's contact are written in (French,
Arabic or English), used for the follow-up questionnaire's invitation and reminders when no
account has the contact's address; the contacts recorded before are French, as their mails were.

On SQLite the batch recreates institution_contact: no foreign key points at that table, so no row
elsewhere cascades from it.

Revision ID: 0027_contact_language
Revises: 0026_contact_email_dropped
Create Date: 2026-12-07 01:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027_contact_language'
down_revision = '0026_contact_email_dropped'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('institution_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='fr', nullable=False))


def downgrade():
    with op.batch_alter_table('institution_contact', schema=None) as batch_op:
        batch_op.drop_column('language')
