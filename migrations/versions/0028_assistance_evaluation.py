"""questionnaire_template.purpose and questionnaire.purpose take 'assistance': the partner's
evaluation of a delivered technical-assistance request (an immersion or an expert mission).

On SQLite the batch recreates both tables, and dropping a table with foreign keys enforced deletes
its rows first, which would cascade to the questions, invitations, responses and answers that point
at them. Enforcement is switched off for the batches (SQLite honours the pragma only outside a
transaction, so the migration commits what came before it) and the keys are checked afterwards.

Revision ID: 0028_assistance_evaluation
Revises: 0027_contact_language
Create Date: 2026-12-07 02:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028_assistance_evaluation'
down_revision = '0027_contact_language'
branch_labels = None
depends_on = None


PURPOSES_BEFORE = ('positioning', 'end_of_session', 'follow_up', 'trainers_report')
PURPOSES_AFTER = (*PURPOSES_BEFORE, 'assistance')
TABLES = ('questionnaire_template', 'questionnaire')


def _allow_purposes(purposes):
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        if bind.connection.dbapi_connection.in_transaction:
            bind.exec_driver_sql('COMMIT')
        bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    try:
        for table in TABLES:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_constraint(op.f(f'ck_{table}_questionnaire_purpose'), type_='check')
                batch_op.create_check_constraint('questionnaire_purpose', sa.column('purpose').in_(purposes))
    finally:
        if sqlite:
            bind.exec_driver_sql('PRAGMA foreign_keys=ON')
    if sqlite:
        broken = bind.exec_driver_sql('PRAGMA foreign_key_check').all()
        assert not broken, broken


def upgrade():
    _allow_purposes(PURPOSES_AFTER)


def downgrade():
    # the partner's evaluations go with the purpose (their invitations and answers cascade)
    op.execute("DELETE FROM questionnaire WHERE purpose = 'assistance'")
    op.execute("DELETE FROM questionnaire_template WHERE purpose = 'assistance'")
    _allow_purposes(PURPOSES_BEFORE)
