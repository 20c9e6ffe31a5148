"""questionnaire_template.purpose and questionnaire.purpose take 'assistance': the partner's
evaluation of a delivered technical-assistance request (an immersion or an expert mission).

On SQLite the batch recreates both tables; migrations/env.py keeps foreign keys unenforced while
migrations run, so that dropping the old tables does not cascade to the questions, invitations,
responses and answers that point at them (tests/test_migrations.py).

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
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_questionnaire_purpose'), type_='check')
            batch_op.create_check_constraint('questionnaire_purpose', sa.column('purpose').in_(purposes))


def upgrade():
    _allow_purposes(PURPOSES_AFTER)


def downgrade():
    # the partners' evaluations go with the purpose, their rows deleted one table at a time (foreign
    # keys are not enforced on SQLite while migrations run: nothing cascades)
    questionnaires = "SELECT id FROM questionnaire WHERE purpose = 'assistance'"
    op.execute("DELETE FROM questionnaire_answer WHERE response_id IN"
               f" (SELECT id FROM questionnaire_response WHERE questionnaire_id IN ({questionnaires}))")
    op.execute(f"DELETE FROM questionnaire_response WHERE questionnaire_id IN ({questionnaires})")
    op.execute(f"DELETE FROM questionnaire_invitation WHERE questionnaire_id IN ({questionnaires})")
    op.execute("DELETE FROM questionnaire WHERE purpose = 'assistance'")
    templates = "SELECT id FROM questionnaire_template WHERE purpose = 'assistance'"
    op.execute(f"DELETE FROM questionnaire_answer WHERE question_id IN"
               f" (SELECT id FROM questionnaire_question WHERE template_id IN ({templates}))")
    op.execute(f"DELETE FROM questionnaire_question WHERE template_id IN ({templates})")
    op.execute("DELETE FROM questionnaire_template WHERE purpose = 'assistance'")
    _allow_purposes(PURPOSES_BEFORE)
