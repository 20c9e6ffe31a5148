"""Evaluation questionnaires (issue 16): versioned templates and questions in fr/ar/en, a session's
questionnaires, personal invitations, responses and answers; a partner institution's contact address
for the follow-up questionnaires.

Revision ID: 0022_questionnaires
Revises: 0021_session_material
Create Date: 2026-12-06 23:08:03.263835

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_questionnaires'
down_revision = '0021_session_material'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('positioning', 'end_of_session', 'follow_up', 'trainers_report', name='questionnaire_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('title_fr', sa.String(length=300), nullable=False),
    sa.Column('title_ar', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('intro_fr', sa.Text(), nullable=False),
    sa.Column('intro_ar', sa.Text(), nullable=False),
    sa.Column('intro_en', sa.Text(), nullable=False),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version > 0', name=op.f('ck_questionnaire_template_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_questionnaire_template_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_template')),
    sa.UniqueConstraint('code', 'version', name='uq_questionnaire_template_code_version')
    )
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('positioning', 'end_of_session', 'follow_up', 'trainers_report', name='questionnaire_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'open', 'closed', name='questionnaire_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('send_on', sa.Date(), nullable=True),
    sa.Column('open_days', sa.Integer(), nullable=False),
    sa.Column('remind_after_days', sa.Integer(), nullable=False),
    sa.Column('remind_again_after_days', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('responses_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('open_days > 0', name=op.f('ck_questionnaire_open_days_positive')),
    sa.CheckConstraint('remind_after_days >= 0 AND remind_again_after_days >= remind_after_days', name=op.f('ck_questionnaire_reminders_in_order')),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_questionnaire_session_id_training_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['questionnaire_template.id'], name=op.f('fk_questionnaire_template_id_questionnaire_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire'))
    )
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_template_id'), ['template_id'], unique=False)

    op.create_table('questionnaire_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('rating', 'single', 'multiple', 'text', name='question_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('target', sa.Enum('general', 'content', 'trainer', 'logistics', name='question_target', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('text_fr', sa.String(length=500), nullable=False),
    sa.Column('text_ar', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('is_required', sa.Boolean(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.CheckConstraint('scale_max BETWEEN 2 AND 10', name=op.f('ck_questionnaire_question_scale_in_range')),
    sa.ForeignKeyConstraint(['template_id'], ['questionnaire_template.id'], name=op.f('fk_questionnaire_question_template_id_questionnaire_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_question'))
    )
    with op.batch_alter_table('questionnaire_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_question_template_id'), ['template_id'], unique=False)

    op.create_table('questionnaire_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('trainee', 'contact', 'trainer', name='recipient_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('is_used', sa.Boolean(), nullable=False),
    sa.CheckConstraint('reminders_sent BETWEEN 0 AND 2', name=op.f('ck_questionnaire_invitation_reminders_at_most_two')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_questionnaire_invitation_expert_id_expert')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_questionnaire_invitation_institution_id_institution')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_invitation_questionnaire_id_questionnaire'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_questionnaire_invitation_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_invitation')),
    sa.UniqueConstraint('questionnaire_id', 'email', name='uq_invitation_questionnaire_email')
    )
    with op.batch_alter_table('questionnaire_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_invitation_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_invitation_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('questionnaire_response',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('is_submitted', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_questionnaire_response_institution_id_institution')),
    sa.ForeignKeyConstraint(['invitation_id'], ['questionnaire_invitation.id'], name=op.f('fk_questionnaire_response_invitation_id_questionnaire_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_response_questionnaire_id_questionnaire'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_response')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_questionnaire_response_invitation_id'))
    )
    with op.batch_alter_table('questionnaire_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_response_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('questionnaire_answer',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 10', name=op.f('ck_questionnaire_answer_rating_in_range')),
    sa.ForeignKeyConstraint(['question_id'], ['questionnaire_question.id'], name=op.f('fk_questionnaire_answer_question_id_questionnaire_question')),
    sa.ForeignKeyConstraint(['response_id'], ['questionnaire_response.id'], name=op.f('fk_questionnaire_answer_response_id_questionnaire_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', 'target_key', name=op.f('pk_questionnaire_answer'))
    )
    with op.batch_alter_table('questionnaire_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_answer_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_column('contact_email')

    with op.batch_alter_table('questionnaire_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_answer_question_id'))

    op.drop_table('questionnaire_answer')
    with op.batch_alter_table('questionnaire_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_response_questionnaire_id'))

    op.drop_table('questionnaire_response')
    with op.batch_alter_table('questionnaire_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_invitation_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_invitation_questionnaire_id'))

    op.drop_table('questionnaire_invitation')
    with op.batch_alter_table('questionnaire_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_question_template_id'))

    op.drop_table('questionnaire_question')
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_template_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_session_id'))

    op.drop_table('questionnaire')
    op.drop_table('questionnaire_template')
