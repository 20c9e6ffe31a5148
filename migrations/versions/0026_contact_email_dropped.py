"""institution.contact_email dropped: the follow-up questionnaire goes to the partner's contacts
(institution_contact, kept on the partner's page) that have an e-mail address. An address that was
set is kept as a contact of its institution, so that no recipient is lost.

Revision ID: 0026_contact_email_dropped
Revises: 0025_assistance_withdrawn
Create Date: 2026-12-07 01:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_contact_email_dropped'
down_revision = '0025_assistance_withdrawn'
branch_labels = None
depends_on = None


def upgrade():
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    op.get_bind().execute(sa.text(
        "INSERT INTO institution_contact (institution_id, full_name, position, email, phone, postal_address, updated_at) "
        "SELECT id, 'Contact', '', contact_email, '', '', :now FROM institution "
        "WHERE contact_email <> '' AND NOT EXISTS (SELECT 1 FROM institution_contact c "
        "WHERE c.institution_id = institution.id AND lower(c.email) = lower(institution.contact_email))"), {"now": now})
    # Not a batch: on SQLite a batch copies the table and drops the old one, and the contacts just
    # written (and every other row whose foreign key cascades from institution) would go with it.
    # SQLite (3.35 and later) drops a plain column in place, as PostgreSQL does.
    op.drop_column('institution', 'contact_email')


def downgrade():
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=False, server_default=''))
