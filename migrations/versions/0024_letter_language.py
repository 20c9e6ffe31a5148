"""invitation_letter.language: the language the visa letter is written in (French, Arabic or
English, chosen per trainee); the letters stored before were all French.

Revision ID: 0024_letter_language
Revises: 0023_passport_normalised
Create Date: 2026-12-07 00:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_letter_language'
down_revision = '0023_passport_normalised'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='fr', nullable=False))


def downgrade():
    with op.batch_alter_table('invitation_letter', schema=None) as batch_op:
        batch_op.drop_column('language')
