"""Passport numbers stored as compared: letters (upper case) and digits only, without the spaces,
dashes, dots or slashes typed in them, so that "eg 765-4321" and "EG7654321" are found as one
(issue 19). The stored numbers are rewritten the way centre.registrations.services.normalize_passport
now writes them; the old form (spaces removed, upper case) cannot be restored, nor is it needed.

Revision ID: 0023_passport_normalised
Revises: 0022_questionnaires
Create Date: 2026-12-07 00:00:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_passport_normalised'
down_revision = '0022_questionnaires'
branch_labels = None
depends_on = None


def _normalised(number):
    """A copy of normalize_passport as of this revision (a migration does not follow later code)."""
    kept = []
    for char in unicodedata.normalize("NFKC", number or ""):
        if char.isdecimal():
            kept.append(str(unicodedata.decimal(char)))
        elif char.isalpha():
            kept.append(char.upper())
    return "".join(kept) or None


def upgrade():
    trainee = sa.table("trainee", sa.column("id", sa.Integer), sa.column("passport_number", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(trainee.c.id, trainee.c.passport_number)
                              .where(trainee.c.passport_number.is_not(None))).all()
    for trainee_id, number in rows:
        if _normalised(number) != number:
            connection.execute(sa.update(trainee).where(trainee.c.id == trainee_id)
                               .values(passport_number=_normalised(number)))


def downgrade():
    pass  # the numbers stay normalised: the same passports, as they are compared
